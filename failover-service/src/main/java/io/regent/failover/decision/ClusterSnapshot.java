package io.regent.failover.decision;

import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Everything decide() may look at for one cluster, frozen at one moment: the registry's topology
 * and policy, every agent's sighting of every node, and the cluster's recent operations.
 *
 * @param topology         the registry's current topology (epoch, leader, nodes and their registry roles)
 * @param policy           how failures are handled
 * @param sightings        node name → agent id → that agent's sighting of the node
 * @param lastFailoverAt   when the last failover of this cluster finished; null when none is known
 * @param runningOperation the cluster's unfinished failover or switchover, if any
 * @param bookkeeping      what this instance itself did lately (the gates against doing it twice)
 */
public record ClusterSnapshot(
        TopologyChanged topology,
        ClusterPolicy policy,
        Map<String, Map<String, Sighting>> sightings,
        Instant lastFailoverAt,
        UUID runningOperation,
        Bookkeeping bookkeeping) {

    /** A snapshot without bookkeeping: nothing done lately. */
    public ClusterSnapshot(TopologyChanged topology, ClusterPolicy policy, Map<String, Map<String, Sighting>> sightings,
            Instant lastFailoverAt, UUID runningOperation) {
        this(topology, policy, sightings, lastFailoverAt, runningOperation, Bookkeeping.NONE);
    }

    public ClusterSnapshot {
        bookkeeping = bookkeeping == null ? Bookkeeping.NONE : bookkeeping;
        Objects.requireNonNull(topology, "topology");
        Objects.requireNonNull(policy, "policy");
        sightings = sightings == null ? Map.of() : Map.copyOf(sightings);
    }

    public String clusterId() {
        return topology.clusterId();
    }

    public long epoch() {
        return topology.epoch();
    }

    public Optional<TopologyNode> node(String name) {
        return topology.nodes().stream().filter(n -> n.name().equals(name)).findFirst();
    }

    /** Every agent's sighting of {@code node}, fresh or not. */
    public Collection<Sighting> sightingsOf(String node) {
        return sightings.getOrDefault(node, Map.of()).values();
    }

    /** The sightings of {@code node} that are recent enough to count at {@code now}. */
    public List<Sighting> freshSightingsOf(String node, Instant now) {
        return sightingsOf(node).stream().filter(s -> s.freshAt(now, policy)).toList();
    }
}
