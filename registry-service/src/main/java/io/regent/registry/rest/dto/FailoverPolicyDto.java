package io.regent.registry.rest.dto;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.PositiveOrZero;

/**
 * @param automatic             fail over without an operator
 * @param detectionWindowMillis how long a quorum must see the leader down
 * @param observerQuorum        distinct monitor agents that must agree
 * @param maxLagOnFailoverBytes followers further behind are not candidates
 * @param rpoZeroRequired       refuse a failover that could lose an acknowledged commit
 * @param autoRejoin            rewind (or rebuild) a replaced leader into a follower as soon as its agent can;
 *                              off: it stays NEEDS_REJOIN until someone acts
 */
public record FailoverPolicyDto(
        Boolean automatic,
        @Min(500) @Max(600_000) Integer detectionWindowMillis,
        @Min(1) @Max(16) Integer observerQuorum,
        @PositiveOrZero Long maxLagOnFailoverBytes,
        Boolean rpoZeroRequired,
        Boolean autoRejoin) {
}
