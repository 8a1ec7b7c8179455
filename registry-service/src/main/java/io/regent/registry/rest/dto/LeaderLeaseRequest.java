package io.regent.registry.rest.dto;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

/**
 * A renewal of the leader's lease by the node agent next to the leader.
 *
 * @param node        the node the agent runs next to: must be the cluster's leader
 * @param epoch       the leader epoch the agent holds: must be the cluster's
 * @param holder      the agent's id, for people and for giving the lease up
 * @param leaseMillis the lease from when the registry answers, on its database's clock (1 to 60 s)
 */
public record LeaderLeaseRequest(
        @NotBlank @Size(max = 63) String node,
        @PositiveOrZero long epoch,
        @NotBlank @Size(max = 200) String holder,
        @Min(1_000) @Max(60_000) long leaseMillis) {
}
