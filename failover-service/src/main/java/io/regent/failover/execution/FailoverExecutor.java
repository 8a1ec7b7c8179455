package io.regent.failover.execution;

import io.regent.engines.EngineAdapter;
import io.regent.events.NodeRole;
import io.regent.events.OperationKind;
import io.regent.events.OperationPhase;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import io.regent.events.Phases;
import io.regent.events.TopologyChanged;
import io.regent.failover.cluster.Claim;
import io.regent.failover.cluster.ClusterState;
import io.regent.failover.config.FailoverConfig;
import io.regent.failover.decision.ClusterSnapshot;
import io.regent.failover.decision.Decision;
import io.regent.failover.decision.Plan;
import io.regent.failover.decision.Planner;
import io.regent.failover.registry.RegistryApi;
import io.regent.failover.registry.RegistryRequests;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * Applies decisions, and only applies them: the intent is recorded first (an operation in the
 * registry, created by compare-and-set on the epoch, the only running leader change of its cluster),
 * this instance claims it (a fencing token and a lease), then the {@link Planner}'s steps run in
 * order, each preceded by the registry's check that this instance still holds the operation and the
 * epoch has not moved, and each started only inside the lease as this instance's own clock measures
 * it. Every step is idempotent, so whoever holds the operation next runs the same plan again from the
 * start and it ends in the same state (DESIGN.md invariants 1, 2 and 7).
 */
@ApplicationScoped
public class FailoverExecutor {

    private static final Logger LOG = Logger.getLogger(FailoverExecutor.class);
    private static final String SYSTEM = "system";

    private final RegistryApi registry;
    private final EngineAdapter engine;
    private final FailoverConfig config;
    private final OperationMetrics operationMetrics;
    private final NodeTargets targets;
    private final Ownership ownership;
    private final Steps steps;

    public FailoverExecutor(@RestClient RegistryApi registry, EngineAdapter engine, FailoverConfig config,
            OperationMetrics operationMetrics, NodeTargets targets, Ownership ownership, Steps steps) {
        this.registry = registry;
        this.engine = engine;
        this.config = config;
        this.operationMetrics = operationMetrics;
        this.targets = targets;
        this.ownership = ownership;
        this.steps = steps;
    }

    /** The registry could not tell whether a change was applied: the operation stays running and is resumed. */
    static final class Unsure extends RuntimeException {
        Unsure(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /** Starts a failover the decision asked for, or joins the same one already running. */
    public void failover(ClusterState state, Decision.Failover decision, String initiator, Instant decidedAt,
            UUID operationId) {
        Optional<OperationUpdated> recorded = record(state, new RegistryRequests.NewOperation(operationId,
                OperationKind.FAILOVER, decision.failedLeader(), decision.candidate(), decision.epoch(), initiator,
                decision.reason()));
        if (recorded.isEmpty()) {
            return;
        }
        OperationUpdated op = recorded.get();
        try (OperationLogContext context = OperationLogContext.operation(state.clusterId(), op.operationId(), op.kind(),
                op.epochBefore())) {
            LOG.infof("cluster %s: FAILOVER %s -> %s at epoch %d (operation %s): %s", state.clusterId(), op.fromNode(),
                    op.toNode(), op.epochBefore(), op.operationId(), decision.reason());
            run(state, op, decidedAt);
        }
    }

    /**
     * Planned switchover: fence the leader, write a barrier after its last acknowledged commit, wait
     * until the target has replayed it, then promote, open, re-point and announce. If the target does
     * not catch up or cannot be promoted, the old leader is opened again and nothing else changes.
     */
    public void switchover(ClusterState state, Decision.Switchover decision, String initiator, UUID operationId) {
        Optional<OperationUpdated> recorded = record(state, new RegistryRequests.NewOperation(operationId,
                OperationKind.SWITCHOVER, decision.leader(), decision.candidate(), decision.epoch(), initiator,
                decision.reason()));
        if (recorded.isEmpty()) {
            return;
        }
        OperationUpdated op = recorded.get();
        try (OperationLogContext context = OperationLogContext.operation(state.clusterId(), op.operationId(), op.kind(),
                op.epochBefore())) {
            LOG.infof("cluster %s: SWITCHOVER %s -> %s at epoch %d (operation %s): %s", state.clusterId(), op.fromNode(),
                    op.toNode(), op.epochBefore(), op.operationId(), decision.reason());
            run(state, op, Instant.now());
        }
    }

    /** Makes the cluster's own leader writable again after Regent left it read-only (invariant 11). */
    public void unfence(ClusterState state, Decision.Unfence decision) {
        Optional<OperationUpdated> recorded = record(state, new RegistryRequests.NewOperation(UUID.randomUUID(),
                OperationKind.UNFENCE, decision.node(), decision.node(), decision.epoch(), SYSTEM, decision.reason()));
        if (recorded.isEmpty()) {
            return;
        }
        OperationUpdated op = recorded.get();
        try (OperationLogContext context = OperationLogContext.operation(state.clusterId(), op.operationId(), op.kind(),
                op.epochBefore())) {
            LOG.warnf("cluster %s: UNFENCE %s (operation %s): %s", state.clusterId(), decision.node(), op.operationId(),
                    decision.reason());
            run(state, op, Instant.now());
        }
    }

    /** Continues an operation found running in the registry (after a crash, a handover or an unsure answer). */
    public void resume(ClusterState state, UUID operationId) {
        OperationUpdated op = registry.operation(operationId);
        if (op.status().isFinal()) {
            state.runningOperation(null);
            return;
        }
        try (OperationLogContext context = OperationLogContext.operation(state.clusterId(), op.operationId(), op.kind(),
                op.epochBefore())) {
            LOG.infof("cluster %s: resuming %s %s (%s -> %s, epoch %d), phases so far %s", state.clusterId(), op.kind(),
                    op.operationId(), op.fromNode(), op.toNode(), op.epochBefore(),
                    op.phases().stream().map(OperationPhase::name).toList());
            run(state, op, op.startedAt());
        }
    }

    /**
     * Records the operation, or finds the identical one already running (a redelivered command, a
     * resumed decision). A different leader change running, or an epoch that moved, means this decision
     * is void: nothing is recorded and the cluster is read again.
     */
    private Optional<OperationUpdated> record(ClusterState state, RegistryRequests.NewOperation wanted) {
        OperationUpdated op;
        try {
            op = registry.createOperation(state.clusterId(), wanted);
        } catch (WebApplicationException e) {
            if (e.getResponse().getStatus() != 409) {
                throw e;
            }
            Map<String, Object> problem = problem(e);
            Object running = problem.get("runningOperationId");
            if (running == null) { // the epoch moved since the decision: it was taken on a stale topology
                LOG.infof("cluster %s: %s not started: %s", state.clusterId(), wanted.kind(), problem.get("detail"));
                state.topology(registry.topology(state.clusterId()));
                return Optional.empty();
            }
            OperationUpdated other = registry.operation(UUID.fromString(running.toString()));
            if (other.kind() != wanted.kind() || !java.util.Objects.equals(other.toNode(), wanted.toNode())
                    || !java.util.Objects.equals(other.fromNode(), wanted.fromNode())
                    || !java.util.Objects.equals(other.epochBefore(), wanted.epochBefore())) {
                LOG.infof("cluster %s: %s %s -> %s not started: %s %s (%s -> %s, epoch %d) is running; it is resumed "
                        + "instead", state.clusterId(), wanted.kind(), wanted.fromNode(), wanted.toNode(),
                        other.kind(), other.operationId(), other.fromNode(), other.toNode(), other.epochBefore());
                state.runningOperation(other.operationId());
                return Optional.empty();
            }
            LOG.infof("cluster %s: joining the same %s %s already running", state.clusterId(), other.kind(),
                    other.operationId());
            op = other;
        }
        if (op.status().isFinal()) {
            return Optional.empty(); // a redelivered request whose operation already ended
        }
        if (OperationKind.FAILOVER == op.kind() || OperationKind.SWITCHOVER == op.kind()
                || OperationKind.UNFENCE == op.kind()) {
            state.runningOperation(op.operationId());
        }
        return Optional.of(op);
    }

    /** Claims the operation and applies its plan; how it ends is recorded, except when it must be resumed. */
    private void run(ClusterState state, OperationUpdated start, Instant detectedAt) {
        String cluster = state.clusterId();
        Claim held;
        try {
            held = ownership.claim(start.operationId(), state.held(start.operationId()));
        } catch (Ownership.Lost e) {
            if ("owned".equals(e.code())) {
                LOG.infof("cluster %s: operation %s is held by another instance; retrying in %d ms", cluster,
                        start.operationId(), e.retryAfterMillis());
                state.backOff(Instant.now().plusMillis(Math.max(100, e.retryAfterMillis())));
            } else {
                LOG.infof("cluster %s: operation %s cannot be claimed (%s): %s", cluster, start.operationId(),
                        e.code(), e.getMessage());
                if ("operation-finished".equals(e.code()) && start.operationId().equals(state.runningOperation())) {
                    state.runningOperation(null);
                }
            }
            return;
        }
        state.hold(held);
        OperationUpdated op = held.claimed() == null ? start : held.claimed(); // complete: no one else writes it now
        try {
            op = apply(state, held, op, detectedAt);
        } catch (Ownership.Lost e) {
            LOG.infof("cluster %s: operation %s is no longer this instance's (%s): touching nothing more - %s",
                    cluster, op.operationId(), e.code(), e.getMessage());
            forget(state, held, e.code());
        } catch (Ownership.Lapsed e) {
            LOG.warnf("cluster %s: %s", cluster, e.getMessage());
        } catch (Unsure | ProcessingException e) {
            // the registry is unreachable or did not say: the operation stays running and is resumed
            LOG.warnf("cluster %s: operation %s interrupted, the registry's answer is unknown (%s); it will be "
                    + "resumed", cluster, op.operationId(), e.getMessage());
            state.backOff(Instant.now().plusSeconds(1));
        } catch (Steps.Failed e) {
            LOG.errorf("cluster %s: %s %s failed: %s", cluster, op.kind(), op.operationId(), e.getMessage());
            finish(state, held, op, OperationStatus.FAILED, null, e.getMessage());
        } catch (RuntimeException e) {
            if (e instanceof WebApplicationException web && web.getResponse().getStatus() >= 500) {
                LOG.warnf("cluster %s: operation %s interrupted by the registry (%s); it will be resumed", cluster,
                        op.operationId(), e.getMessage());
                state.backOff(Instant.now().plusSeconds(1));
                return;
            }
            LOG.errorf(e, "cluster %s: %s %s failed", cluster, op.kind(), op.operationId());
            finish(state, held, op, OperationStatus.FAILED, null, String.valueOf(e.getMessage()));
        }
    }

    private static void forget(ClusterState state, Claim held, String code) {
        state.hold(null);
        if (("operation-finished".equals(code) || "epoch-moved".equals(code))
                && held.operationId().equals(state.runningOperation())) {
            state.runningOperation(null);
        }
    }

    private OperationUpdated apply(ClusterState state, Claim held, OperationUpdated op, Instant detectedAt) {
        if (settled(state, held, op, held.epoch())) {
            return op;
        }
        TopologyChanged topology = registry.topology(state.clusterId());
        state.topology(topology);
        return switch (op.kind()) {
            case FAILOVER -> applyFailover(state, held, op, topology, detectedAt);
            case SWITCHOVER -> applySwitchover(state, held, op, topology);
            case UNFENCE -> applyUnfence(state, held, op, topology);
            default -> {
                finish(state, held, op, OperationStatus.FAILED, null, "cannot resume a " + op.kind() + " here");
                yield op;
            }
        };
    }

    /**
     * True (and the operation finished) when the epoch shows it decided already: announced before a crash
     * (only the finish was missing), or overtaken by another change.
     */
    private boolean settled(ClusterState state, Claim held, OperationUpdated op, long currentEpoch) {
        long epoch = op.epochBefore() == null ? currentEpoch : op.epochBefore();
        if (currentEpoch == epoch) {
            return false;
        }
        TopologyChanged current = registry.topology(state.clusterId());
        state.topology(current);
        if (current.epoch() == epoch + 1 && op.toNode() != null && op.toNode().equals(current.leader())
                && op.kind() != OperationKind.UNFENCE) {
            // announced before the holder crashed or lost the answer: only the record of it was missing
            OperationUpdated done = has(op, Phases.ANNOUNCED) ? op : phase(held, op, Phases.ANNOUNCED, Instant.now(),
                    "epoch " + current.epoch() + ": leader " + current.leader() + " (found announced when the "
                            + "operation was resumed)");
            finishSucceeded(state, held, done, current);
        } else {
            finish(state, held, op, OperationStatus.FAILED, null, "the topology moved on to epoch " + current.epoch()
                    + " (leader " + current.leader() + ") before this operation completed");
        }
        return true;
    }

    private OperationUpdated applyFailover(ClusterState state, Claim held, OperationUpdated op,
            TopologyChanged topology, Instant detectedAt) {
        String from = op.fromNode();
        String to = op.toNode();
        if (to == null || op.epochBefore() == null) {
            throw new Steps.Failed("cannot carry out a failover without a target and an epoch", null);
        }
        if (!has(op, Phases.DETECTED)) {
            op = phase(held, op, Phases.DETECTED, detectedAt, "leader " + from + " lost: " + op.reason());
        }
        if (!has(op, Phases.DECIDED)) {
            op = phase(held, op, Phases.DECIDED, Instant.now(), "promote " + to + " in place of " + from + " (epoch "
                    + op.epochBefore() + " -> " + (op.epochBefore() + 1) + ")");
        }
        ClusterSnapshot snapshot = state.snapshot();
        Plan plan = Planner.failover(snapshot, from, to, op.initiator(), Instant.now());
        for (Plan.Fence fence : plan.stepsOf(Plan.Fence.class)) {
            String outcome = steps.fence(state, held, topology, fence);
            if (!has(op, Phases.FENCED)) {
                op = phase(held, op, Phases.FENCED, Instant.now(), outcome);
            }
        }
        String waited = steps.awaitLeaderLease(held, state.clusterId(), from);
        if (waited != null && !has(op, Phases.LEASE_EXPIRED)) {
            op = phase(held, op, Phases.LEASE_EXPIRED, Instant.now(), waited);
        }
        try {
            steps.promote(held, topology, plan.stepsOf(Plan.Promote.class).get(0));
        } catch (Steps.Failed e) {
            throw new Steps.Failed(e.getMessage() + "; a promotion of " + to + ", should it complete later, is into a "
                    + "fence: it takes no writes until it is opened; the next decision chooses again", e);
        }
        return openRepointAnnounce(state, held, op, topology, plan, "");
    }

    private OperationUpdated applySwitchover(ClusterState state, Claim held, OperationUpdated op,
            TopologyChanged topology) {
        String from = op.fromNode();
        String to = op.toNode();
        if (to == null || op.epochBefore() == null) {
            throw new Steps.Failed("cannot carry out a switchover without a target and an epoch", null);
        }
        if (!has(op, Phases.DECIDED)) {
            op = phase(held, op, Phases.DECIDED, Instant.now(), "hand over from " + from + " to " + to + " (epoch "
                    + op.epochBefore() + " -> " + (op.epochBefore() + 1) + ")");
        }
        Plan plan = Planner.switchover(topology, from, to);
        List<Plan.Detach> detaches = plan.stepsOf(Plan.Detach.class);
        if (!has(op, Phases.CAUGHT_UP)) {
            try {
                // the other followers first, while the old leader still takes writes: from then on they receive only
                // through the target, so they cannot pass its fork point, whatever the old leader writes after the
                // barrier - and re-pointing them (a WAL receiver restart each: 300-500 ms measured) is no longer
                // inside the write gap, which starts with the fence
                String detached = steps.detach(held, topology, detaches);
                for (Plan.Fence fence : plan.stepsOf(Plan.Fence.class)) {
                    String outcome = steps.fence(state, held, topology, fence);
                    if (!has(op, Phases.FENCED)) {
                        op = phase(held, op, Phases.FENCED, Instant.now(), outcome);
                    }
                }
                long barrier = steps.catchUp(held, topology, plan.stepsOf(Plan.CatchUp.class).get(0));
                op = phase(held, op, Phases.CAUGHT_UP, Instant.now(), to + " replayed everything " + from
                        + " acknowledged (up to position " + barrier + ")" + (detached.isEmpty() ? "" : "; " + detached));
            } catch (Steps.Failed e) {
                steps.reattach(state, held, topology, detaches);
                steps.reopen(held, topology, from);
                throw new Steps.Failed(to + " did not catch up with " + from + " (" + e.getMessage() + "); " + from
                        + " is writable again and remains the leader", e);
            }
        }
        try {
            steps.promote(held, topology, plan.stepsOf(Plan.Promote.class).get(0));
        } catch (Steps.Failed e) {
            // the target was fenced before it was asked: even if its promotion completes later it takes no
            // writes, so opening the old leader again leaves exactly one writable node
            steps.reattach(state, held, topology, detaches);
            steps.reopen(held, topology, from);
            throw new Steps.Failed("promoting " + to + " failed (" + e.getMessage() + "); a promotion of " + to
                    + ", should it complete later, is into a fence: it takes no writes; " + from
                    + " is writable again and remains the leader", e);
        }
        return openRepointAnnounce(state, held, op, topology, plan, "; writes were refused for %d ms (fenced to "
                + "promoted)");
    }

    private OperationUpdated applyUnfence(ClusterState state, Claim held, OperationUpdated op,
            TopologyChanged topology) {
        String leader = op.fromNode();
        if (!leader.equals(topology.leader())) {
            throw new Steps.Failed(leader + " is no longer the leader of epoch " + topology.epoch() + " ("
                    + topology.leader() + " is): it stays as it is", null);
        }
        if (!has(op, Phases.DECIDED)) {
            op = phase(held, op, Phases.DECIDED, Instant.now(), op.reason());
        }
        Plan.Open open = Planner.reopen(topology, leader).stepsOf(Plan.Open.class).get(0);
        steps.open(held, topology, open);
        op = phase(held, op, Phases.PROMOTED, Instant.now(), leader + " accepts writes again; " + open.describe());
        finish(state, held, op, OperationStatus.SUCCEEDED, topology.epoch(), null);
        return op;
    }

    /**
     * The common end of failover and switchover: open the promoted target with its synchronous standbys,
     * re-point the other followers, announce by compare-and-set, finish.
     *
     * @param unavailability appended to the announced phase's detail with the fenced-to-promoted millis, or ""
     */
    private OperationUpdated openRepointAnnounce(ClusterState state, Claim held, OperationUpdated op,
            TopologyChanged topology, Plan plan, String unavailability) {
        Plan.Open open = plan.stepsOf(Plan.Open.class).get(0);
        steps.open(held, topology, open);
        if (!has(op, Phases.PROMOTED)) {
            op = phase(held, op, Phases.PROMOTED, Instant.now(), open.node() + " accepts writes; " + open.describe());
        }
        List<String> repointed = new ArrayList<>();
        for (Plan.Repoint repoint : plan.stepsOf(Plan.Repoint.class)) {
            repointed.add(steps.repoint(state, held, topology, repoint));
        }
        if (!has(op, Phases.REPOINTED)) {
            op = phase(held, op, Phases.REPOINTED, Instant.now(), repointed.isEmpty() ? "no other follower"
                    : String.join("; ", repointed));
        }
        Plan.Announce announce = plan.stepsOf(Plan.Announce.class).get(0);
        TopologyChanged announced = announce(state, held, op, topology, announce);
        if (!has(op, Phases.ANNOUNCED)) {
            op = phase(held, op, Phases.ANNOUNCED, Instant.now(), "epoch " + announced.epoch() + ": leader "
                    + announce.node() + (unavailability.isEmpty() ? ""
                            : String.format(unavailability, unavailableMillis(op))));
        }
        finishSucceeded(state, held, op, announced);
        return op;
    }

    /**
     * Invariants 1 and 2: the epoch moves once, by compare-and-set naming this operation and its token,
     * after the new leader accepts writes. An answer that does not say whether it was applied (a 5xx, a
     * lost connection) is never taken for a failure: the topology is read again until it tells.
     */
    private TopologyChanged announce(ClusterState state, Claim held, OperationUpdated op,
            TopologyChanged topology, Plan.Announce announce) {
        long epoch = op.epochBefore();
        ownership.guard(held, "announce " + announce.node());
        try {
            TopologyChanged next = registry.compareAndSet(state.clusterId(), new RegistryRequests.TopologyUpdate(epoch,
                    announce.node(), announce.replaced() == null ? Map.of()
                            : Map.of(announce.replaced(), NodeRole.NEEDS_REJOIN), op.reason(), op.operationId(),
                    held.token()));
            state.topology(next);
            return next;
        } catch (WebApplicationException e) {
            int status = e.getResponse().getStatus();
            if (status >= 500) {
                return settleUnsure(state, op, announce, e);
            }
            if (status != 409) {
                throw e;
            }
            Map<String, Object> problem = problem(e);
            if (!"epoch-mismatch".equals(problem.get("code"))) {
                throw new Ownership.Lost(String.valueOf(problem.get("code")), String.valueOf(problem.get("detail")), 0);
            }
            TopologyChanged current = registry.topology(state.clusterId());
            state.topology(current);
            if (current.epoch() == epoch + 1 && announce.node().equals(current.leader())) {
                return current; // an earlier attempt of this same operation won
            }
            // only a change outside every operation moves the epoch under a held one: do not leave a second
            // writable node behind
            String fenced;
            try {
                engine.fence(targets.target(topology, announce.node()), config.actionTimeout());
                fenced = announce.node() + " was fenced again";
            } catch (RuntimeException failed) {
                fenced = announce.node() + " could not be fenced again (" + failed.getMessage() + "); it is fenced "
                        + "as a stale leader when seen";
            }
            throw new Steps.Failed("epoch compare-and-set lost: cluster is at epoch " + current.epoch() + " with leader "
                    + current.leader() + "; " + fenced, e);
        } catch (ProcessingException e) {
            return settleUnsure(state, op, announce, e);
        }
    }

    /** The compare-and-set may or may not have been applied: the registry's database tells, once it answers. */
    private TopologyChanged settleUnsure(ClusterState state, OperationUpdated op, Plan.Announce announce,
            RuntimeException cause) {
        TopologyChanged current;
        try {
            current = registry.topology(state.clusterId());
        } catch (RuntimeException unreachable) {
            throw new Unsure("announcing " + announce.node() + ": " + cause.getMessage(), cause);
        }
        state.topology(current);
        if (current.epoch() == op.epochBefore() + 1 && announce.node().equals(current.leader())) {
            LOG.infof("cluster %s: the compare-and-set answered '%s' but was applied: epoch %d, leader %s",
                    state.clusterId(), cause.getMessage(), current.epoch(), current.leader());
            return current;
        }
        throw new Unsure("announcing " + announce.node() + " did not say whether it was applied (" + cause.getMessage()
                + "); the registry still shows epoch " + current.epoch(), cause);
    }

    private static long unavailableMillis(OperationUpdated op) {
        Optional<Instant> fenced = op.phases().stream().filter(p -> p.name().equals(Phases.FENCED))
                .map(OperationPhase::at).findFirst();
        Optional<Instant> promoted = op.phases().stream().filter(p -> p.name().equals(Phases.PROMOTED))
                .map(OperationPhase::at).findFirst();
        return fenced.isPresent() && promoted.isPresent()
                ? Duration.between(fenced.get(), promoted.get()).toMillis() : -1;
    }

    /** Fences a node that acts as a leader of an older epoch (invariant 6), as a checked operation. */
    public void fence(ClusterState state, Decision.Fence decision) {
        Optional<OperationUpdated> recorded = record(state, new RegistryRequests.NewOperation(UUID.randomUUID(),
                OperationKind.FENCE, decision.node(), null, decision.epoch(), SYSTEM, decision.reason()));
        if (recorded.isEmpty()) {
            return;
        }
        OperationUpdated op = recorded.get();
        LOG.warnf("cluster %s: FENCE %s (operation %s): %s", state.clusterId(), decision.node(), op.operationId(),
                decision.reason());
        Claim held;
        try {
            held = ownership.claim(op.operationId(), null);
        } catch (Ownership.Lost e) {
            LOG.infof("cluster %s: fence of %s not started: %s", state.clusterId(), decision.node(), e.getMessage());
            return;
        }
        try {
            op = phase(held, op, Phases.DETECTED, Instant.now(), decision.reason());
            Plan.Fence step = new Plan.Fence(decision.node(), true, true, decision.reason());
            String outcome = steps.fence(state, held, state.topology(), step);
            op = phase(held, op, Phases.FENCED, Instant.now(), outcome);
            finish(state, held, op, OperationStatus.SUCCEEDED, decision.epoch(), null);
        } catch (Ownership.Lost | Ownership.Lapsed e) {
            LOG.infof("cluster %s: fence of %s stopped: %s", state.clusterId(), decision.node(), e.getMessage());
        } catch (RuntimeException e) {
            finish(state, held, op, OperationStatus.FAILED, null, "fencing " + decision.node() + " failed: "
                    + e.getMessage());
        }
    }

    /**
     * Records, once per epoch, that a needed failover was refused and why (invariant 5: fail loudly) - in one
     * call that records it already FAILED: a refusal never runs, so the leader's lease is never refused on its
     * account (a fresh cluster's leader, still starting while the refusal is recorded, keeps it).
     */
    public void refuse(ClusterState state, Decision.Refuse decision, OperationKind kind, String initiator,
            UUID operationId) {
        LOG.errorf("cluster %s: %s REFUSED at epoch %d: %s", state.clusterId(), kind, decision.epoch(),
                decision.reason());
        OperationUpdated op;
        try {
            op = registry.createOperation(state.clusterId(), new RegistryRequests.NewOperation(operationId, kind,
                    decision.node(), null, decision.epoch(), initiator, decision.reason(), true));
        } catch (WebApplicationException e) {
            if (e.getResponse().getStatus() == 409) { // the topology moved on since: the refusal no longer applies
                LOG.infof("cluster %s: refusal not recorded: %s", state.clusterId(), problem(e).get("detail"));
                return;
            }
            throw e;
        }
        if (op.status() == OperationStatus.FAILED) { // else the id named an operation recorded before as another
            count(op, OperationStatus.FAILED);
        }
    }

    private void finishSucceeded(ClusterState state, Claim held, OperationUpdated op,
            TopologyChanged announced) {
        finish(state, held, op, OperationStatus.SUCCEEDED, announced.epoch(), null);
        if (op.kind() == OperationKind.FAILOVER) {
            state.lastFailoverAt(Instant.now()); // anti-flapping counts failures, not planned switchovers
        }
        LOG.infof("cluster %s: %s %s done, epoch %d, leader %s, after %d ms", state.clusterId(), op.kind(),
                op.operationId(), announced.epoch(), announced.leader(),
                Duration.between(op.startedAt(), Instant.now()).toMillis());
    }

    private void finish(ClusterState state, Claim held, OperationUpdated op, OperationStatus status,
            Long epochAfter, String error) {
        OperationUpdated ended;
        try {
            ended = registry.finish(op.operationId(), new RegistryRequests.Finish(status, epochAfter, error,
                    held == null ? null : held.token()));
        } catch (WebApplicationException e) {
            if (e.getResponse().getStatus() == 409) {
                Map<String, Object> problem = problem(e);
                LOG.infof("cluster %s: operation %s not finished as %s by this instance: %s", state.clusterId(),
                        op.operationId(), status, problem.get("detail"));
                if (held != null) {
                    forget(state, held, String.valueOf(problem.get("code")));
                }
                return;
            }
            throw e;
        }
        if (op.operationId().equals(state.runningOperation())) {
            state.runningOperation(null);
        }
        if (held != null) {
            state.hold(null);
        }
        count(ended == null ? op : ended, status); // the registry's answer holds every phase
    }

    private void count(OperationUpdated op, OperationStatus status) {
        operationMetrics.ended(op, status);
    }

    /** Records a phase with this instance's token: refused (Lost) once another instance holds the operation. */
    private OperationUpdated phase(Claim held, OperationUpdated op, String name, Instant at, String detail) {
        try {
            return registry.appendPhase(op.operationId(), new RegistryRequests.Phase(name, at, detail, held.token()));
        } catch (WebApplicationException e) {
            if (e.getResponse().getStatus() == 409) {
                Map<String, Object> problem = problem(e);
                throw new Ownership.Lost(String.valueOf(problem.getOrDefault("code", "conflict")),
                        String.valueOf(problem.get("detail")), 0);
            }
            throw e;
        }
    }

    private static boolean has(OperationUpdated op, String phase) {
        return op.phases().stream().anyMatch(p -> p.name().equals(phase));
    }

    private static Map<String, Object> problem(WebApplicationException e) {
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> problem = e.getResponse().readEntity(Map.class);
            return problem == null ? Map.of() : problem;
        } catch (RuntimeException unreadable) {
            return Map.of("detail", String.valueOf(e.getMessage()));
        }
    }
}
