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
 * @param epoch       incremented exactly once per leader change, and by nothing else
 * @param engine      the cluster's engine
 * @param leader      name of the node that accepts writes in this epoch; absent when leaderless
 * @param nodes       every node with its endpoint and role
 * @param replication replication mode of the cluster
 * @param maintenance whether automatic actions are suspended
 * @param changedAt   when this snapshot was taken
 * @param reason      why the topology changed, for people
 * @param operationId the operation that caused the change, if any
 * @param revision    grows with every snapshot the registry publishes (leader changes, role changes,
 *                    maintenance, settings), drawn from one registry-wide sequence so that it also grows
 *                    across a delete and re-registration; 0 in records written before it existed. The
 *                    order of a cluster's snapshots: see {@link #supersedes}
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
        UUID operationId,
        long revision) implements RegentEvent {

    public TopologyChanged {
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(changedAt, "changedAt");
        if (revision < 0) {
            throw new IllegalArgumentException("revision must not be negative, got " + revision);
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative, got " + epoch);
        }
        nodes = nodes == null ? List.of() : List.copyOf(nodes);
        replication = replication == null ? Replication.ASYNC : replication;
        if (leader != null && nodes.stream().noneMatch(n -> n.name().equals(leader))) {
            throw new IllegalArgumentException("leader '" + leader + "' is not one of the nodes");
        }
    }

    /** A snapshot without a revision, as written before revisions existed (and by tests of the other fields). */
    public TopologyChanged(String clusterId, long epoch, Engine engine, String leader, List<TopologyNode> nodes,
            Replication replication, boolean maintenance, Instant changedAt, String reason, UUID operationId) {
        this(clusterId, epoch, engine, leader, nodes, replication, maintenance, changedAt, reason, operationId, 0);
    }

    /**
     * Whether this snapshot of the cluster replaces {@code current} (null: nothing known yet). The one
     * ordering rule of every topology consumer: by revision when both carry one, else by epoch and then
     * by when they were taken. An older snapshot - a late record, a replay, a zombie relay's record - never
     * replaces a newer one, so a consumer's view of a cluster never goes back. The same snapshot again
     * replaces itself (idempotent).
     */
    public boolean supersedes(TopologyChanged current) {
        if (current == null) {
            return true;
        }
        if (revision > 0 && current.revision() > 0) {
            return revision >= current.revision();
        }
        if (epoch != current.epoch()) {
            return epoch > current.epoch();
        }
        return !changedAt.isBefore(current.changedAt());
    }

    /** The leader's node entry, when there is a leader. */
    public Optional<TopologyNode> leaderNode() {
        return nodes.stream().filter(n -> n.name().equals(leader)).findFirst();
    }
}
