package io.regent.registry.rest.dto;

import io.regent.events.Engine;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * A cluster to register.
 *
 * @param id             a slug: lower-case letters, digits and '-', starting with a letter
 * @param displayName    for people
 * @param engine         the database engine
 * @param replication    defaults to asynchronous
 * @param failoverPolicy defaults from {@code regent.registry.defaults.*}
 * @param credentialsRef where agents find the node credentials (e.g. a Kubernetes secret name)
 * @param credentials    node credentials to store encrypted; write-only
 * @param nodes          the initial nodes; the first with role LEADER, if any, is the leader
 */
public record ClusterRequest(
        @NotBlank @Pattern(regexp = Slugs.PATTERN, message = Slugs.MESSAGE) @Size(max = 63) String id,
        @NotBlank @Size(max = 200) String displayName,
        @NotNull Engine engine,
        @Valid ReplicationDto replication,
        @Valid FailoverPolicyDto failoverPolicy,
        @Size(max = 200) String credentialsRef,
        @Valid CredentialsDto credentials,
        @Size(max = 64) List<@Valid @NotNull NodeRequest> nodes) {
}
