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

/** What the agents saw, read the same way by every rule. */
final class Views {

    private Views() {
    }

    static Optional<NodeObserved> freshestReachable(ClusterSnapshot snapshot, String node, Instant now) {
        return freshestReachableSighting(snapshot, node, now).map(Sighting::latest);
    }

    /** The sighting of {@code node} whose latest probe succeeded and arrived last (this instance's clock). */
    static Optional<Sighting> freshestReachableSighting(ClusterSnapshot snapshot, String node, Instant now) {
        return snapshot.freshSightingsOf(node, now).stream().filter(Sighting::reachable)
                .max(Comparator.comparing(Sighting::receivedAt));
    }

    /** The leader's newest successful probe, by any agent; null when none is remembered. */
    static NodeObserved lastHealthyView(ClusterSnapshot snapshot, String leader) {
        return snapshot.sightingsOf(leader).stream().filter(s -> s.lastHealthy() != null)
                .max(Comparator.comparing(Sighting::localLastHealthy)).map(Sighting::lastHealthy).orElse(null);
    }

    /** When any agent last had an answer from {@code node}, on this instance's clock; null when none did. */
    static Instant lastAnswered(ClusterSnapshot snapshot, String node) {
        return snapshot.sightingsOf(node).stream().map(Sighting::localLastAnswered).filter(Objects::nonNull)
                .max(Comparator.naturalOrder()).orElse(null);
    }

    /** The leader's WAL position as last seen by any agent, healthy or not now. */
    static Long lastKnownPosition(ClusterSnapshot snapshot, String leader) {
        return snapshot.sightingsOf(leader).stream().map(Sighting::lastHealthy).filter(Objects::nonNull)
                .map(NodeObserved::currentLsn).filter(Objects::nonNull).max(Long::compare).orElse(null);
    }

    static TreeSet<String> freshAgents(ClusterSnapshot snapshot, Instant now) {
        TreeSet<String> agents = new TreeSet<>();
        snapshot.sightings().values().forEach(byAgent -> byAgent.values().stream()
                .filter(s -> s.freshAt(now, snapshot.policy())).forEach(s -> agents.add(s.agent())));
        return agents;
    }

    static String agents(List<Sighting> sightings) {
        return sightings.stream().map(Sighting::agent).sorted().distinct().collect(Collectors.joining(", ", "[", "]"));
    }

    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() / 1000.0 + " s";
    }

    static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
