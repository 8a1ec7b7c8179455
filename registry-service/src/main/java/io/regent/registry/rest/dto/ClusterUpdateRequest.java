package io.regent.registry.rest.dto;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/**
 * New settings for a cluster; its id, engine, epoch and nodes change through their own endpoints.
 * Absent fields keep their value.
 */
public record ClusterUpdateRequest(
        @Size(max = 200) @NotBlank String displayName,
        @Valid ReplicationDto replication,
        @Valid FailoverPolicyDto failoverPolicy,
        @Size(max = 200) String credentialsRef,
        @Valid CredentialsDto credentials) {
}
