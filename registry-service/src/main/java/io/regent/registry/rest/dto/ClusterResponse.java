package io.regent.registry.rest.dto;

import io.regent.events.Engine;
import java.time.Instant;
import java.util.List;

/** A cluster as the API shows it. Credentials are never shown: only whether they are stored. */
public record ClusterResponse(
        String id,
        String displayName,
        Engine engine,
        ReplicationDto replication,
        FailoverPolicyDto failoverPolicy,
        boolean maintenance,
        long epoch,
        String leader,
        String credentialsRef,
        boolean credentialsStored,
        List<NodeResponse> nodes,
        Instant createdAt,
        Instant updatedAt) {
}
