package io.regent.registry.rest.dto;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

/**
 * Asked right before an irreversible step (fence, promote, re-point, unfence, synchronous settings):
 * is the operation still running, still owned with this token, and the leader epoch still the one it
 * started from? Answered from the database under the cluster's lock, and renews the lease.
 *
 * @param ownerToken  the token of the caller's claim
 * @param step        what the caller is about to do, for the refusal's message and the log
 * @param leaseMillis the lease from now, on the registry database's clock
 */
public record GuardRequest(
        @NotNull @PositiveOrZero Long ownerToken,
        @NotBlank @Size(max = 200) String step,
        @Min(100) @Max(300_000) long leaseMillis) {
}
