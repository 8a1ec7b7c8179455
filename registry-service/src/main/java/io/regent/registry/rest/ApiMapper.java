package io.regent.registry.rest;

import io.regent.registry.domain.ClusterEntity;
import io.regent.registry.domain.NodeEntity;
import io.regent.registry.rest.dto.ClusterResponse;
import io.regent.registry.rest.dto.FailoverPolicyDto;
import io.regent.registry.rest.dto.NodeResponse;
import io.regent.registry.rest.dto.ReplicationDto;
import java.util.List;

/** Entities to API shapes. Credentials have no mapping on purpose. */
final class ApiMapper {

    private ApiMapper() {
    }

    static ClusterResponse cluster(ClusterEntity c, boolean credentialsStored) {
        return new ClusterResponse(c.id, c.displayName, c.engine, new ReplicationDto(c.replicationMode, c.syncCount),
                new FailoverPolicyDto(c.automaticFailover, c.detectionWindowMillis, c.observerQuorum,
                        c.maxLagOnFailoverBytes, c.rpoZeroRequired, c.autoRejoin),
                c.maintenance, c.epoch, c.leaderNode, c.credentialsRef, credentialsStored,
                c.nodes.stream().map(ApiMapper::node).toList(), c.createdAt, c.updatedAt);
    }

    static NodeResponse node(NodeEntity n) {
        return new NodeResponse(n.name, n.host, n.port, n.zone, n.priority, List.copyOf(n.tags), n.role);
    }
}
