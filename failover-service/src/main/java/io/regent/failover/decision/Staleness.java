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

/** Invariant 6: a node acting as the leader of an older epoch. */
final class Staleness {

    private Staleness() {
    }

    /** Invariant 6: a node that accepts writes while another is the leader of the epoch. */
    static Optional<Decision> staleLeader(ClusterSnapshot snapshot, Instant now) {
        String leader = snapshot.topology().leader();
        if (leader == null) {
            return Optional.empty();
        }
        for (TopologyNode node : snapshot.topology().nodes()) {
            if (node.name().equals(leader)) {
                continue;
            }
            for (Sighting s : snapshot.freshSightingsOf(node.name(), now)) {
                NodeObserved o = s.latest();
                if (o.reachable() && o.role() == NodeRole.LEADER && !Boolean.TRUE.equals(o.readOnly())) {
                    Instant recently = now.minus(snapshot.policy().observationMaxAge());
                    if (snapshot.bookkeeping().fencedAfter(node.name(), recently)
                            && !s.local(o.observedAt()).minusMillis(o.probeMillis() == null ? 0 : o.probeMillis())
                                    .isAfter(snapshot.bookkeeping().fencedAt().get(node.name()))) {
                        return Optional.of(new Decision.Wait("node " + node.name() + " was fenced at "
                                + snapshot.bookkeeping().fencedAt().get(node.name()) + "; waiting for an agent to "
                                + "see it read-only (seen writable by " + o.observerId() + " at " + o.observedAt()
                                + ", before that)"));
                    }
                    return Optional.of(new Fence(node.name(), snapshot.epoch(), "node " + node.name()
                            + " accepts writes as a leader (seen by " + o.observerId() + " at " + o.observedAt()
                            + (o.timeline() == null ? "" : ", timeline " + o.timeline()) + ") but the leader of epoch "
                            + snapshot.epoch() + " is " + leader + ": fencing it so it cannot acknowledge writes"));
                }
            }
        }
        return Optional.empty();
    }
}
