package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A full snapshot of a cluster's topology, published to the compacted {@link Topics#TOPOLOGY}
 * topic: the newest record per cluster is all a new subscriber needs. A deleted cluster is a
 * Kafka tombstone (null value), not an event.
 *
 * @param clusterId   the cluster
 * @param epoch       incremented exactly once per leader change
 * @param engine      the cluster's engine
 * @param leader      name of the node that accepts writes in this epoch; absent when leaderless
 * @param nodes       every node with its endpoint and role
 * @param replication replication mode of the cluster
 * @param maintenance whether automatic actions are suspended
 * @param changedAt   when this snapshot was taken
 * @param reason      why the topology changed, for people
 * @param operationId the operation that caused the change, if any
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TopologyChanged(
        String clusterId,
        long epoch,
        Engine engine,
        String leader,
        List<TopologyNode> nodes,
        Replication replication,
        boolean maintenance,
        Instant changedAt,
        String reason,
        UUID operationId) implements RegentEvent {

    public TopologyChanged {
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(changedAt, "changedAt");
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative, got " + epoch);
        }
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
        replication = replication == null ? Replication.ASYNC : replication;
        if (leader != null && nodes.stream().noneMatch(n -> n.name().equals(leader))) {
            throw new IllegalArgumentException("leader '" + leader + "' is not one of the nodes");
        }
    }

    /** The leader's node entry, when there is a leader. */
    public Optional<TopologyNode> leaderNode() {
        return nodes.stream().filter(n -> n.name().equals(leader)).findFirst();
    }
}
