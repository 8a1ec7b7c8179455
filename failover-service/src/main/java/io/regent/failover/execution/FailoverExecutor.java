package io.regent.failover.execution;

import io.micrometer.core.instrument.MeterRegistry;
import io.regent.engines.EngineAdapter;
import io.regent.engines.NodeTarget;
import io.regent.events.NodeRole;
import io.regent.events.OperationKind;
import io.regent.events.OperationPhase;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import io.regent.events.Phases;
import io.regent.events.ReplicationMode;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.failover.cluster.ClusterState;
import io.regent.failover.config.FailoverConfig;
import io.regent.failover.decision.ClusterSnapshot;
import io.regent.failover.decision.Decision;
import io.regent.failover.decision.Sighting;
import io.regent.failover.registry.RegistryApi;
import io.regent.failover.registry.RegistryRequests;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * Carries out decisions step by step: the intent is recorded first (an operation in the registry,
 * the only running leader change of its cluster), then fence, promote, synchronous settings,
 * re-point, announce (epoch compare-and-set), finish - each step recorded as a phase with its
 * time. Every step is idempotent, so whoever owns the cluster next can run the same operation
 * again from the start and it ends in the same state (DESIGN.md invariant 7).
 */
@ApplicationScoped
public class FailoverExecutor {

    private static final Logger LOG = Logger.getLogger(FailoverExecutor.class);
    private static final String SYSTEM = "system";

    private final RegistryApi registry;
    private final EngineAdapter engine;
    private final FailoverConfig config;
    private final MeterRegistry metrics;
    private final NodeTargets targets;

    public FailoverExecutor(@RestClient RegistryApi registry, EngineAdapter engine, FailoverConfig config,
            MeterRegistry metrics, NodeTargets targets) {
        this.registry = registry;
        this.engine = engine;
        this.config = config;
        this.metrics = metrics;
        this.targets = targets;
    }

    /** Thrown between steps when another instance took the cluster over: it resumes the operation. */
    static final class HandedOver extends RuntimeException {
        HandedOver(String clusterId) {
            super("cluster " + clusterId + " was handed over to another instance", null, false, false);
        }
    }

    /** Starts a failover the decision asked for, or joins the one already running for the cluster. */
    public void failover(ClusterState state, Decision.Failover decision, String initiator, Instant decidedAt,
            UUID operationId) {
        OperationUpdated op;
        try {
            op = registry.createOperation(state.clusterId(), new RegistryRequests.NewOperation(operationId,
                    OperationKind.FAILOVER, decision.failedLeader(), decision.candidate(), decision.epoch(), initiator,
                    decision.reason()));
        } catch (WebApplicationException e) {
            Optional<UUID> running = runningOperationOf(e);
            if (running.isEmpty()) {
                throw e;
            }
            LOG.infof("cluster %s: joining operation %s already running", state.clusterId(), running.get());
            op = registry.operation(running.get());
        }
        if (op.status().isFinal()) {
            return; // a redelivered request whose operation already ended
        }
        state.runningOperation(op.operationId());
        LOG.infof("cluster %s: FAILOVER %s -> %s at epoch %d (operation %s): %s", state.clusterId(), op.fromNode(),
                op.toNode(), op.epochBefore(), op.operationId(), decision.reason());
        if (!has(op, Phases.DETECTED)) {
            op = phase(op, Phases.DETECTED, decidedAt, "leader " + decision.failedLeader() + " lost: "
                    + decision.reason());
        }
        run(state, op);
    }

    /** Continues an operation found running in the registry (after a crash or a handover). */
    public void resume(ClusterState state, UUID operationId) {
        OperationUpdated op = registry.operation(operationId);
        if (op.status().isFinal()) {
            state.runningOperation(null);
            return;
        }
        LOG.infof("cluster %s: resuming %s %s (%s -> %s, epoch %d), phases so far %s", state.clusterId(), op.kind(),
                op.operationId(), op.fromNode(), op.toNode(), op.epochBefore(),
                op.phases().stream().map(OperationPhase::name).toList());
        if (op.kind() == OperationKind.SWITCHOVER && op.toNode() != null && op.epochBefore() != null) {
            runSwitchover(state, op);
            return;
        }
        if (op.kind() != OperationKind.FAILOVER || op.toNode() == null || op.epochBefore() == null) {
            finish(state, op, OperationStatus.FAILED, null, "cannot resume a " + op.kind() + " without a target "
                    + "and an epoch; the instance that started it is gone");
            return;
        }
        run(state, op);
    }

    /** Failover steps; each repeats safely, recorded phases are not recorded twice. */
    private void run(ClusterState state, OperationUpdated start) {
        guarded(state, start, op -> {
            String from = op.fromNode();
            String to = op.toNode();
            if (!has(op, Phases.DETECTED)) {
                // resumed after the instance that recorded the operation died before its first phase: its
                // decision - the detection - is the operation's reason, made when the operation was recorded
                op = phase(op, Phases.DETECTED, op.startedAt(), "leader " + from + " lost: " + op.reason()
                        + " (recorded by the instance that resumed the operation)");
            }
            if (!has(op, Phases.DECIDED)) {
                op = phase(op, Phases.DECIDED, Instant.now(), "promote " + to + " in place of " + from + " (epoch "
                        + op.epochBefore() + " -> " + (op.epochBefore() + 1) + ")");
            }
            requireOwned(state);
            if (!has(op, Phases.FENCED)) {
                op = phase(op, Phases.FENCED, Instant.now(), fenceOldLeader(state, op));
            }
            promoteAndAnnounce(state, op, "");
        });
    }

    /**
     * Planned switchover: fence the leader, write a barrier after its last acknowledged commit,
     * wait until the target has replayed it, then promote, re-point and announce. If the target
     * does not catch up in time, the leader is unfenced and nothing else changes.
     */
    public void switchover(ClusterState state, Decision.Switchover decision, String initiator, UUID operationId) {
        OperationUpdated op = registry.createOperation(state.clusterId(), new RegistryRequests.NewOperation(
                operationId, OperationKind.SWITCHOVER, decision.leader(), decision.candidate(), decision.epoch(),
                initiator, decision.reason()));
        if (op.status().isFinal()) {
            return; // a redelivered request whose operation already ended
        }
        state.runningOperation(op.operationId());
        LOG.infof("cluster %s: SWITCHOVER %s -> %s at epoch %d (operation %s): %s", state.clusterId(), op.fromNode(),
                op.toNode(), op.epochBefore(), op.operationId(), decision.reason());
        runSwitchover(state, op);
    }

    /** Switchover steps; once the target has caught up, it never waits or unfences the old leader again. */
    private void runSwitchover(ClusterState state, OperationUpdated start) {
        guarded(state, start, op -> {
            String from = op.fromNode();
            String to = op.toNode();
            TopologyChanged topology = state.topology();
            NodeTarget leader = targets.target(topology, from);
            NodeTarget candidate = targets.target(topology, to);
            if (!has(op, Phases.DECIDED)) {
                op = phase(op, Phases.DECIDED, Instant.now(), "hand over from " + from + " to " + to + " (epoch "
                        + op.epochBefore() + " -> " + (op.epochBefore() + 1) + ")");
            }
            requireOwned(state);
            if (!has(op, Phases.CAUGHT_UP)) {
                engine.fence(leader, config.actionTimeout());
                state.fenced(from, Instant.now());
                if (!has(op, Phases.FENCED)) {
                    op = phase(op, Phases.FENCED, Instant.now(), from + " is read-only, its client sessions ended");
                }
                long barrier;
                try {
                    barrier = engine.writeBarrier(leader, config.actionTimeout());
                    engine.awaitReplayed(candidate, barrier, config.switchoverCatchUpTimeout());
                } catch (RuntimeException e) {
                    engine.promote(leader, config.actionTimeout()); // on a leader, promote lifts the fence
                    finish(state, op, OperationStatus.FAILED, null, to + " did not catch up with " + from + " ("
                            + e.getMessage() + "); " + from + " is writable again and remains the leader");
                    return;
                }
                requireOwned(state);
                op = phase(op, Phases.CAUGHT_UP, Instant.now(), to + " replayed everything " + from
                        + " acknowledged (up to position " + barrier + ")");
            }
            promoteAndAnnounce(state, op, "; writes were refused for %d ms (fenced to promoted)");
        });
    }

    private interface Steps {
        void run(OperationUpdated op);
    }

    /** Runs an operation's steps unless the registry shows it decided already; failures end it, handovers do not. */
    private void guarded(ClusterState state, OperationUpdated op, Steps steps) {
        String cluster = state.clusterId();
        try {
            if (!settledElsewhere(state, op)) {
                steps.run(op);
            }
        } catch (HandedOver e) {
            LOG.infof("cluster %s: %s; operation %s left to the new owner", cluster, e.getMessage(), op.operationId());
        } catch (ProcessingException e) {
            // the registry is unreachable: nothing more can be recorded; the operation stays running and is resumed
            LOG.warnf("cluster %s: registry unreachable during operation %s (%s); it will be resumed", cluster,
                    op.operationId(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.errorf("cluster %s: operation %s failed: %s", cluster, op.operationId(), e.getMessage());
            finish(state, op, OperationStatus.FAILED, null, e.getMessage());
        }
    }

    /**
     * The common end of failover and switchover: promote the target, set its synchronous standbys,
     * re-point the other followers, announce by compare-and-set, finish.
     *
     * @param unavailability appended to the announced phase's detail with the fenced-to-promoted millis, or ""
     */
    private void promoteAndAnnounce(ClusterState state, OperationUpdated op, String unavailability) {
        requireOwned(state);
        TopologyChanged topology = state.topology();
        String from = op.fromNode();
        String to = op.toNode();
        TopologyNode candidate = NodeTargets.node(topology, to);
        engine.promote(targets.target(topology, to), config.actionTimeout());
        String sync = configureSynchronous(topology, candidate, from);
        if (!has(op, Phases.PROMOTED)) {
            op = phase(op, Phases.PROMOTED, Instant.now(), to + " accepts writes; " + sync);
        }
        requireOwned(state);
        op = repointOthers(state, op, topology, from, to);
        requireOwned(state);
        TopologyChanged announced = announce(state, op, from, to, op.epochBefore());
        if (announced == null) {
            return;
        }
        if (!has(op, Phases.ANNOUNCED)) {
            op = phase(op, Phases.ANNOUNCED, Instant.now(), "epoch " + announced.epoch() + ": leader " + to
                    + (unavailability.isEmpty() ? "" : String.format(unavailability, unavailableMillis(op))));
        }
        finishSucceeded(state, op, announced);
    }

    private static long unavailableMillis(OperationUpdated op) {
        Optional<Instant> fenced = op.phases().stream().filter(p -> p.name().equals(Phases.FENCED))
                .map(OperationPhase::at).findFirst();
        Optional<Instant> promoted = op.phases().stream().filter(p -> p.name().equals(Phases.PROMOTED))
                .map(OperationPhase::at).findFirst();
        return fenced.isPresent() && promoted.isPresent()
                ? Duration.between(fenced.get(), promoted.get()).toMillis() : -1;
    }

    /** True (and the operation finished) when the registry's epoch shows the operation already decided. */
    private boolean settledElsewhere(ClusterState state, OperationUpdated op) {
        long epoch = op.epochBefore();
        if (state.topology().epoch() == epoch) {
            return false;
        }
        TopologyChanged current = registry.topology(state.clusterId());
        state.topology(current);
        if (current.epoch() == epoch) {
            return false;
        }
        // one leader change runs per cluster at a time, so epoch + 1 with this target is this operation's
        if (current.epoch() == epoch + 1 && op.toNode().equals(current.leader())) {
            finishSucceeded(state, op, current); // announced before a crash; only the finish was missing
        } else {
            finish(state, op, OperationStatus.FAILED, null, "the topology moved on to epoch " + current.epoch()
                    + " (leader " + current.leader() + ") before this operation completed");
        }
        return true;
    }

    private OperationUpdated repointOthers(ClusterState state, OperationUpdated op, TopologyChanged topology,
            String from, String to) {
        List<String> repointed = new ArrayList<>();
        NodeTarget leader = targets.target(topology, to);
        for (TopologyNode follower : topology.nodes()) {
            if (follower.name().equals(to) || follower.name().equals(from) || follower.role() != NodeRole.FOLLOWER) {
                continue;
            }
            try {
                engine.follow(targets.target(topology, follower.name()), leader, config.actionTimeout());
                repointed.add(follower.name() + " follows " + to);
            } catch (RuntimeException e) {
                repointed.add(follower.name() + " not re-pointed (" + e.getMessage() + ")");
                LOG.warnf("cluster %s: could not re-point %s to %s: %s", state.clusterId(), follower.name(), to,
                        e.getMessage());
            }
        }
        if (has(op, Phases.REPOINTED)) {
            return op;
        }
        return phase(op, Phases.REPOINTED, Instant.now(), repointed.isEmpty() ? "no other follower"
                : String.join("; ", repointed));
    }

    /** Invariant 1 and 2: the epoch moves once, by compare-and-set, after the new leader accepts writes. */
    private TopologyChanged announce(ClusterState state, OperationUpdated op, String from, String to, long epoch) {
        try {
            TopologyChanged next = registry.compareAndSet(state.clusterId(), new RegistryRequests.TopologyUpdate(epoch,
                    to, Map.of(from, NodeRole.NEEDS_REJOIN), op.reason(), op.operationId()));
            state.topology(next);
            return next;
        } catch (WebApplicationException e) {
            if (e.getResponse().getStatus() != 409) {
                throw e;
            }
            TopologyChanged current = registry.topology(state.clusterId());
            state.topology(current);
            if (current.epoch() == epoch + 1 && to.equals(current.leader())) {
                return current; // an earlier attempt of this same operation won
            }
            finish(state, op, OperationStatus.FAILED, null, "epoch compare-and-set lost: cluster is at epoch "
                    + current.epoch() + " with leader " + current.leader() + "; " + to + " was promoted but not "
                    + "announced and must be fenced or rejoined");
            return null;
        }
    }

    private String fenceOldLeader(ClusterState state, OperationUpdated op) {
        String from = op.fromNode();
        if (from == null) {
            return "no previous leader";
        }
        ClusterSnapshot snapshot = state.snapshot();
        Instant now = Instant.now();
        boolean reachable = snapshot != null && snapshot.freshSightingsOf(from, now).stream()
                .max(Comparator.comparing(Sighting::observedAt)).map(Sighting::reachable).orElse(false);
        if (!reachable) {
            return from + " is unreachable: it is fenced when it is seen again";
        }
        try {
            engine.fence(targets.target(state.topology(), from), config.actionTimeout());
            state.fenced(from, Instant.now());
            return from + " is read-only, its client sessions ended";
        } catch (RuntimeException e) {
            if (SYSTEM.equals(op.initiator())) {
                return "fencing " + from + " failed (" + e.getMessage() + "); a quorum declared it down, so the "
                        + "failover proceeds and it is fenced when it is seen again";
            }
            throw new IllegalStateException("fencing the reachable leader " + from + " failed, so promoting another "
                    + "node could split the brain: " + e.getMessage(), e);
        }
    }

    private String configureSynchronous(TopologyChanged topology, TopologyNode leader, String oldLeader) {
        if (topology.replication().mode() != ReplicationMode.SYNC_ANY) {
            engine.configureSynchronous(targets.target(topology, leader.name()), List.of(), 0, config.actionTimeout());
            return "asynchronous";
        }
        // the old leader stays listed: once rejoined it counts again without another change
        List<String> standbys = topology.nodes().stream().map(TopologyNode::name)
                .filter(name -> !name.equals(leader.name())).sorted().toList();
        int k = Math.min(topology.replication().syncCount(), standbys.size());
        engine.configureSynchronous(targets.target(topology, leader.name()), standbys, k, config.actionTimeout());
        return "synchronous ANY " + k + " " + standbys + " (old leader " + oldLeader + " counts once rejoined)";
    }

    /** Fences a node that acts as a leader of an older epoch (invariant 6). */
    public void fence(ClusterState state, Decision.Fence decision) {
        OperationUpdated op = registry.createOperation(state.clusterId(), new RegistryRequests.NewOperation(
                UUID.randomUUID(), OperationKind.FENCE, decision.node(), null, decision.epoch(), SYSTEM,
                decision.reason()));
        LOG.warnf("cluster %s: FENCE %s (operation %s): %s", state.clusterId(), decision.node(), op.operationId(),
                decision.reason());
        try {
            op = phase(op, Phases.DETECTED, Instant.now(), decision.reason());
            engine.fence(targets.target(state.topology(), decision.node()), config.actionTimeout());
            state.fenced(decision.node(), Instant.now());
            op = phase(op, Phases.FENCED, Instant.now(), decision.node() + " is read-only, its client sessions ended");
            finish(state, op, OperationStatus.SUCCEEDED, decision.epoch(), null);
        } catch (RuntimeException e) {
            finish(state, op, OperationStatus.FAILED, null, "fencing " + decision.node() + " failed: " + e.getMessage());
        }
    }

    /** Records, once per epoch, that a needed failover was refused and why (invariant 5: fail loudly). */
    public void refuse(ClusterState state, Decision.Refuse decision, OperationKind kind, String initiator,
            UUID operationId) {
        LOG.errorf("cluster %s: %s REFUSED at epoch %d: %s", state.clusterId(), kind, decision.epoch(),
                decision.reason());
        OperationUpdated op = registry.createOperation(state.clusterId(), new RegistryRequests.NewOperation(
                operationId, kind, decision.failedLeader(), null, decision.epoch(), initiator, decision.reason()));
        if (op.status().isFinal()) {
            return; // a redelivered request, already answered
        }
        op = phase(op, Phases.DETECTED, Instant.now(), decision.reason());
        finish(state, op, OperationStatus.FAILED, null, decision.reason());
    }

    private void finishSucceeded(ClusterState state, OperationUpdated op, TopologyChanged announced) {
        finish(state, op, OperationStatus.SUCCEEDED, announced.epoch(), null);
        if (op.kind() == OperationKind.FAILOVER) {
            state.lastFailoverAt(Instant.now()); // anti-flapping counts failures, not planned switchovers
        }
        LOG.infof("cluster %s: %s %s done, epoch %d, leader %s, after %d ms", state.clusterId(), op.kind(),
                op.operationId(), announced.epoch(), announced.leader(),
                Duration.between(op.startedAt(), Instant.now()).toMillis());
    }

    private void finish(ClusterState state, OperationUpdated op, OperationStatus status, Long epochAfter,
            String error) {
        registry.finish(op.operationId(), new RegistryRequests.Finish(status, epochAfter, error));
        if (op.operationId().equals(state.runningOperation())) {
            state.runningOperation(null);
        }
        metrics.counter("regent_failover_operations_total", "kind", op.kind().name(), "outcome", status.name())
                .increment();
    }

    private OperationUpdated phase(OperationUpdated op, String name, Instant at, String detail) {
        OperationUpdated updated = registry.appendPhase(op.operationId(), new RegistryRequests.Phase(name, at,
                detail));
        if (config.testPauseAfterPhase().filter(name::equals).isPresent()) {
            LOG.warnf("fault injection: pausing %s ms after phase %s", config.testPause().toMillis(), name);
            try {
                Thread.sleep(config.testPause().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return updated;
    }

    private static boolean has(OperationUpdated op, String phase) {
        return op.phases().stream().anyMatch(p -> p.name().equals(phase));
    }

    private static void requireOwned(ClusterState state) {
        if (state.released()) {
            throw new HandedOver(state.clusterId());
        }
    }

    private static Optional<UUID> runningOperationOf(WebApplicationException e) {
        if (e.getResponse().getStatus() != 409) {
            return Optional.empty();
        }
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> problem = e.getResponse().readEntity(Map.class);
            Object id = problem.get("runningOperationId");
            return id == null ? Optional.empty() : Optional.of(UUID.fromString(id.toString()));
        } catch (RuntimeException unreadable) {
            return Optional.empty();
        }
    }
}
