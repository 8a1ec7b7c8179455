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

/** Invariant 5: a failover that could lose an acknowledged commit is refused, with the reason. */
final class RpoRule {

    private RpoRule() {
    }

    /**
     * Invariant 5: with {@code ANY k} of N standbys, every acknowledged commit is on at least k of
     * them, so only N - k + 1 reachable standbys are sure to include one that has it.
     */
    static Optional<String> rpoZeroViolation(ClusterSnapshot snapshot, List<NodeObserved> reachable) {
        if (snapshot.topology().replication().mode() == ReplicationMode.SYNC_ANY) {
            int k = snapshot.topology().replication().syncCount();
            long standbys = snapshot.topology().nodes().stream().filter(n -> n.role() == NodeRole.FOLLOWER).count();
            long needed = standbys - k + 1;
            if (reachable.size() < needed) {
                return Optional.of("synchronous ANY " + k + " of " + standbys + " standbys needs " + needed
                        + " reachable to be sure one holds every acknowledged commit, but only " + reachable.size()
                        + " (" + reachable.stream().map(NodeObserved::node).sorted().toList() + ") are reachable");
            }
            return Optional.empty();
        }
        if (snapshot.policy().rpoZeroRequired()) {
            return Optional.of("RPO zero is required but replication is asynchronous, so no follower is sure to "
                    + "hold every acknowledged commit");
        }
        return Optional.empty();
    }
}
