package io.regent.failover.decision;

import io.regent.engines.EngineCapabilities;
import io.regent.engines.ReplicatedHistory;
import io.regent.events.Engine;
import io.regent.events.FailoverRequested;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.OperationKind;
import io.regent.events.RejoinRequested;
import io.regent.events.ReplicationMode;
import io.regent.events.SwitchoverRequested;
import io.regent.events.TopologyNode;
import io.regent.failover.decision.Decision.Failover;
import io.regent.failover.decision.Decision.Fence;
import io.regent.failover.decision.Decision.NoAction;
import io.regent.failover.decision.Decision.Refuse;
import io.regent.failover.decision.Decision.Switchover;
import io.regent.failover.decision.Decision.Wait;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The failover rules of DESIGN.md as one pure function: no I/O, the clock passed in, and a reason
 * a person can read on every outcome. The order of the checks is part of the contract: first what
 * forbids acting at all (maintenance, a running operation, blindness), then fencing of a stale
 * leader, then the quorum verdict on the leader, then the election.
 */
public final class Decider {

    /** A node tagged like this is never promoted (the per-node counterpart of cluster maintenance). */
    public static final String NO_FAILOVER_TAG = "nofailover";

    private Decider() {
    }

    /**
     * Why nothing may be done to this cluster's nodes, or null when its engine has the actions (see
     * {@link EngineCapabilities}): an engine without them, or a synchronous mode it cannot keep after a
     * failover, is observed only.
     */
    static String withoutActions(ClusterSnapshot snapshot) {
        Engine engine = snapshot.topology().engine();
        EngineCapabilities can = EngineCapabilities.of(engine);
        if (!can.failoverActions()) {
            return "cluster " + snapshot.clusterId() + " runs " + engine
                    + ": this version of Regent observes it but has no failover actions for it yet";
        }
        if (snapshot.topology().replication().mode() == ReplicationMode.SYNC_ANY
                && snapshot.topology().replication().syncCount() > can.synchronousReplicas()) {
            String most = can.synchronousReplicas() == 0 ? "asynchronous only" : "at most ANY " + can.synchronousReplicas();
            return "cluster " + snapshot.clusterId() + " runs " + engine + " with synchronous replication (ANY "
                    + snapshot.topology().replication().syncCount() + "), which this version of Regent cannot keep "
                    + "for " + engine + " after a failover (" + most + "): it observes the cluster only; register it "
                    + "within that";
        }
        return null;
    }

    /** The automatic decision for a cluster at {@code now}. */
    public static Decision decide(ClusterSnapshot snapshot, Instant now) {
        String cluster = snapshot.clusterId();
        Instant until = snapshot.bookkeeping().maintenanceUntil();
        if (until != null && !now.isBefore(until)) {
            return new Decision.EndMaintenance("maintenance window ended at " + until);
        }
        if (snapshot.topology().maintenance()) {
            return new NoAction("cluster " + cluster + " is in maintenance: Regent takes no automatic action");
        }
        if (withoutActions(snapshot) != null) {
            return new NoAction(withoutActions(snapshot));
        }
        if (snapshot.runningOperation() != null) {
            return new Wait("operation " + snapshot.runningOperation() + " of cluster " + cluster
                    + " is still running; nothing else starts until it finishes");
        }
        if (Views.freshAgents(snapshot, now).isEmpty()) {
            return new NoAction("blind: no agent reported on cluster " + cluster + " in the last "
                    + Views.seconds(snapshot.policy().observationMaxAge()) + " (Kafka or the agents are down); that is "
                    + "not evidence of a failure, so nothing is promoted or fenced");
        }
        Optional<Decision> fence = Staleness.staleLeader(snapshot, now);
        if (fence.isPresent()) {
            return fence.get();
        }
        String leader = snapshot.topology().leader();
        if (leader == null) {
            return new NoAction("cluster " + cluster + " has no leader at epoch " + snapshot.epoch()
                    + "; a manual failover naming a candidate is needed");
        }
        Detection.LeaderVerdict verdict = Detection.leaderVerdict(snapshot, leader, now);
        if (verdict.notDown() != null) {
            return verdict.notDown();
        }
        if (!snapshot.policy().automatic()) {
            return new NoAction(verdict.evidence() + ", but automatic failover is off for cluster " + cluster
                    + "; request a failover to act");
        }
        Instant last = snapshot.lastFailoverAt();
        if (last != null && now.isBefore(last.plus(snapshot.policy().minFailoverInterval()))) {
            return new Wait(verdict.evidence() + ", but the previous failover finished at " + last
                    + " and automatic failovers are at least " + Views.seconds(snapshot.policy().minFailoverInterval())
                    + " apart (anti-flapping); the next is allowed at "
                    + last.plus(snapshot.policy().minFailoverInterval()));
        }
        Decision elected = Election.elect(snapshot, leader, null, now, verdict.evidence(), false, true);
        if (elected instanceof Refuse refused && snapshot.bookkeeping().refusedAtEpoch() == snapshot.epoch()) {
            return new NoAction("the failover of epoch " + snapshot.epoch() + " was refused and recorded already: "
                    + refused.reason());
        }
        return elected;
    }

    /**
     * Whether a replaced leader (registry role NEEDS_REJOIN) should be made a follower now, by the
     * agent running next to it (see {@link Rejoins}). Asked only when {@link #decide} found nothing to do,
     * so healing never delays a failover.
     */
    public static Decision decideRejoin(ClusterSnapshot snapshot, Instant now) {
        return Rejoins.decide(snapshot, now);
    }

    /** The decision for an operator's {@link RejoinRequested} (see {@link Rejoins#requested}). */
    public static Decision decideRejoinRequested(ClusterSnapshot snapshot, RejoinRequested request,
            Instant now) {
        return Rejoins.requested(snapshot, request, now);
    }

    /**
     * The decision for an operator's {@link FailoverRequested}: the leader is declared lost, so the
     * detection window and the automatic flag do not apply, but the epoch check, the candidate
     * rules and the RPO-zero rule do.
     */
    public static Decision decideRequested(ClusterSnapshot snapshot, FailoverRequested request, Instant now) {
        String leader = snapshot.topology().leader();
        long epoch = snapshot.epoch();
        if (request.expectedEpoch() != null && request.expectedEpoch() != epoch) {
            return new Refuse(leader, epoch, "requested for epoch " + request.expectedEpoch() + " but cluster "
                    + snapshot.clusterId() + " is at epoch " + epoch + " (leader " + leader
                    + "): the topology changed since; look again and re-request");
        }
        if (withoutActions(snapshot) != null) {
            return new Refuse(leader, epoch, withoutActions(snapshot));
        }
        if (snapshot.runningOperation() != null) {
            return new Refuse(leader, epoch, "operation " + snapshot.runningOperation() + " of cluster "
                    + snapshot.clusterId() + " is still running; request again when it has finished");
        }
        String why = "failover requested by " + request.requestedBy()
                + (request.reason() == null || request.reason().isBlank() ? "" : " (" + request.reason() + ")");
        Optional<NodeObserved> leaderView = leader == null ? Optional.empty()
                : Views.freshestReachable(snapshot, leader, now);
        if (leaderView.isPresent() && leaderView.get().role() == NodeRole.LEADER) {
            // a live leader could acknowledge writes between a fence and a promotion chosen without catch-up
            Decision elected = Election.elect(snapshot, leader, request.candidate(), now, why + "; leader " + leader
                    + " answers, so it hands over with the switchover's write barrier and catch-up", true);
            return elected instanceof Failover f
                    ? new Switchover(leader, f.candidate(), epoch, f.reason().replace("; promoting ", "; handing over to "))
                    : elected;
        }
        Decision elected = Election.elect(snapshot, leader, request.candidate(), now, why, false);
        return elected instanceof Wait wait
                ? new Refuse(leader, epoch, wait.reason() + "; request again in a moment")
                : elected;
    }

    /**
     * The decision for a planned {@link SwitchoverRequested}: the leader must be healthy (a dead one
     * needs a failover), the epoch and leader must be the ones the requester saw, and the target
     * must pass the candidate rules. RPO zero holds by construction: the executor waits until the
     * target has replayed everything the fenced leader acknowledged.
     */
    public static Decision decideSwitchover(ClusterSnapshot snapshot, SwitchoverRequested request, Instant now) {
        String leader = snapshot.topology().leader();
        long epoch = snapshot.epoch();
        if (request.expectedEpoch() != null && request.expectedEpoch() != epoch) {
            return new Refuse(leader, epoch, "switchover requested for epoch " + request.expectedEpoch()
                    + " but cluster " + snapshot.clusterId() + " is at epoch " + epoch + " (leader " + leader
                    + "): the topology changed since; look again and re-request");
        }
        if (request.expectedLeader() != null && !request.expectedLeader().equals(leader)) {
            return new Refuse(leader, epoch, "switchover requested from " + request.expectedLeader() + " but the "
                    + "leader of cluster " + snapshot.clusterId() + " is " + leader);
        }
        if (withoutActions(snapshot) != null) {
            return new Refuse(leader, epoch, withoutActions(snapshot));
        }
        if (snapshot.runningOperation() != null) {
            return new Refuse(leader, epoch, "operation " + snapshot.runningOperation() + " of cluster "
                    + snapshot.clusterId() + " is still running; request again when it has finished");
        }
        if (leader == null) {
            return new Refuse(null, epoch, "cluster " + snapshot.clusterId() + " has no leader to hand over from; "
                    + "request a failover naming a candidate");
        }
        Optional<NodeObserved> leaderView = Views.freshestReachable(snapshot, leader, now);
        if (leaderView.isEmpty() || leaderView.get().role() != NodeRole.LEADER) {
            return new Refuse(leader, epoch, "leader " + leader + " is not seen healthy by any agent in the last "
                    + Views.seconds(snapshot.policy().observationMaxAge()) + "; a switchover needs a live leader - "
                    + "request a failover instead");
        }
        String why = "switchover requested by " + request.requestedBy()
                + (request.reason() == null || request.reason().isBlank() ? "" : " (" + request.reason() + ")");
        Decision elected = Election.elect(snapshot, leader, request.candidate(), now, why, true);
        if (elected instanceof Failover f) {
            return new Switchover(leader, f.candidate(), epoch, f.reason().replace("; promoting ", "; handing over to "));
        }
        return elected;
    }

}
