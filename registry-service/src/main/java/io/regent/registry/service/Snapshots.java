package io.regent.registry.service;

import io.regent.events.NodeRole;
import io.regent.events.OperationPhase;
import io.regent.events.OperationUpdated;
import io.regent.events.Replication;
import io.regent.events.ReplicationMode;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.registry.domain.ClusterEntity;
import io.regent.registry.domain.NodeEntity;
import io.regent.registry.domain.OperationEntity;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Registry state as the contract's records: the same shape on the API and on Kafka. */
public final class Snapshots {

    private Snapshots() {
    }

    public static TopologyChanged topology(ClusterEntity cluster, Instant at, String reason, UUID operationId) {
        return new TopologyChanged(cluster.id, cluster.epoch, cluster.engine, cluster.leaderNode,
                cluster.nodes.stream().map(n -> node(cluster, n)).toList(), replication(cluster),
                cluster.maintenance, at, reason, operationId, cluster.revision);
    }

    public static Replication replication(ClusterEntity cluster) {
        return cluster.replicationMode == ReplicationMode.SYNC_ANY
                ? Replication.syncAny(cluster.syncCount) : Replication.ASYNC;
    }

    private static TopologyNode node(ClusterEntity cluster, NodeEntity node) {
        return node(node.name, node.host, node.port, node.zone, node.role, node.priority, cluster.leaderNode,
                node.tags);
    }

    static TopologyNode node(String name, String host, int port, String zone, NodeRole role, int priority,
            String leader, List<String> tags) {
        // followers stream from the leader; a node that needs a rejoin or is fenced streams from nobody
        String upstream = role == NodeRole.FOLLOWER ? leader : null;
        return new TopologyNode(name, host, port, zone, role, priority, upstream, tags);
    }

    public static OperationUpdated operation(OperationEntity op) {
        return new OperationUpdated(op.id, op.clusterId, op.kind, op.status, op.fromNode, op.toNode, op.epochBefore,
                op.epochAfter, op.initiator, op.reason,
                op.phases.stream().map(p -> new OperationPhase(p.name, p.at, p.detail)).toList(),
                op.startedAt, op.updatedAt, op.finishedAt, op.error);
    }
}
