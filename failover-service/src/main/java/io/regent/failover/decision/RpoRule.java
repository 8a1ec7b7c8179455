package io.regent.failover.decision;

import io.regent.engines.EngineCapabilities;
import io.regent.engines.ReplicatedHistory;
import io.regent.events.Engine;
import io.regent.events.FailoverRequested;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.OperationKind;
import io.regent.events.ReplicationMode;
import io.regent.events.SwitchoverRequested;
import io.regent.events.TopologyNode;
import io.regent.events.Replication;
import io.regent.engines.postgres.SynchronousStandbyNames;
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
 * Invariant 5: a failover that could lose an acknowledged commit is refused, with the reason - reckoned
 * from what the leader was last seen to wait for ({@code synchronous_standby_names}), not only from
 * what the registry says it should.
 */
final class RpoRule {

    private RpoRule() {
    }

    /**
     * The synchronous configuration the leader was last seen with (PostgreSQL), or null when it is not
     * known or says nothing about acknowledged commits: another engine, never seen healthy, an unreadable
     * setting, or fenced by Regent (a fenced leader acknowledges nothing; the registry's arithmetic holds for
     * what it acknowledged before).
     */
    static SynchronousStandbyNames observed(ClusterSnapshot snapshot, String leader) {
        if (snapshot.topology().engine() != Engine.POSTGRESQL) {
            return null;
        }
        NodeObserved seen = Views.lastHealthyView(snapshot, leader);
        if (seen == null || seen.role() != NodeRole.LEADER || seen.synchronousStandbyNames() == null) {
            return null;
        }
        try {
            SynchronousStandbyNames names = SynchronousStandbyNames.parse(seen.synchronousStandbyNames());
            return names.fenced() ? null : names;
        } catch (IllegalArgumentException unreadable) {
            return null;
        }
    }

    /** Whether acknowledged commits are on standbys: by the leader's own setting when known, else the registry. */
    static boolean synchronous(ClusterSnapshot snapshot, String leader) {
        SynchronousStandbyNames observed = observed(snapshot, leader);
        return observed != null ? !observed.asynchronous()
                : snapshot.topology().replication().mode() == ReplicationMode.SYNC_ANY;
    }

    /**
     * Why failing over could lose an acknowledged commit, or empty when it cannot. With {@code ANY k} (or
     * {@code FIRST k}) of N named standbys every acknowledged commit is on at least k of them, so only
     * N - k + 1 reachable named standbys are sure to include one that has it - whatever their registry role.
     * An automatic failover is refused outright when the leader was seen waiting for less than the registry
     * says: the registry's promise was not kept, and a person should look.
     *
     * @param reachable every standby reached lately that says it is a follower
     */
    static Optional<String> rpoZeroViolation(ClusterSnapshot snapshot, String leader, List<NodeObserved> reachable,
            boolean automatic) {
        Replication registry = snapshot.topology().replication();
        if (registry.mode() == ReplicationMode.ASYNC && !snapshot.policy().rpoZeroRequired()) {
            return Optional.empty(); // the cluster accepts losing the lag (maxLagOnFailover bounds it)
        }
        SynchronousStandbyNames observed = observed(snapshot, leader);
        if (observed != null && automatic && registry.mode() == ReplicationMode.SYNC_ANY
                && (observed.asynchronous() || observed.k() < registry.syncCount())) {
            return Optional.of("the registry says synchronous ANY " + registry.syncCount() + " but leader " + leader
                    + " was last seen with synchronous_standby_names '" + observed.text() + "'"
                    + (observed.asynchronous() ? " (asynchronous)" : "") + ": acknowledged commits may be on fewer "
                    + "standbys than the registry promises, so no automatic failover until they agree (a requested "
                    + "failover reckons with what the leader was seen with)");
        }
        if (observed != null && !observed.asynchronous()) {
            List<String> named = observed.anyStandby()
                    ? snapshot.topology().nodes().stream().map(TopologyNode::name).filter(n -> !n.equals(leader)).toList()
                    : observed.names();
            List<String> reached = reachable.stream().map(NodeObserved::node).filter(named::contains).sorted().toList();
            long needed = named.size() - observed.k() + 1L;
            if (reached.size() < needed) {
                return Optional.of("leader " + leader + " was last seen waiting for " + describe(observed) + " of "
                        + named.size() + " standbys " + named + " (synchronous_standby_names '" + observed.text()
                        + "'): " + needed + " of them must be reachable to be sure one holds every acknowledged commit, "
                        + "but only " + reached.size() + " " + reached + " are");
            }
            return Optional.empty();
        }
        if (observed == null && registry.mode() == ReplicationMode.SYNC_ANY) {
            int k = registry.syncCount();
            List<NodeObserved> followers = reachable.stream().filter(o -> snapshot.node(o.node())
                    .map(n -> n.role() == NodeRole.FOLLOWER).orElse(false)).toList();
            long standbys = snapshot.topology().nodes().stream().filter(n -> n.role() == NodeRole.FOLLOWER).count();
            long needed = standbys - k + 1;
            if (followers.size() < needed) {
                return Optional.of("synchronous ANY " + k + " of " + standbys + " standbys needs " + needed
                        + " reachable to be sure one holds every acknowledged commit, but only " + followers.size()
                        + " (" + followers.stream().map(NodeObserved::node).sorted().toList() + ") are reachable");
            }
            return Optional.empty();
        }
        if (snapshot.policy().rpoZeroRequired()) {
            return Optional.of("RPO zero is required but replication is asynchronous"
                    + (observed != null && registry.mode() == ReplicationMode.SYNC_ANY ? " (leader " + leader
                            + " was last seen with an empty synchronous_standby_names)" : "")
                    + ", so no follower is sure to hold every acknowledged commit");
        }
        return Optional.empty();
    }

    private static String describe(SynchronousStandbyNames names) {
        return (names.method() == SynchronousStandbyNames.Method.QUORUM ? "ANY " : "FIRST ") + names.k();
    }
}
