package io.regent.registry.rest.dto;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

/**
 * A failover-service instance takes an operation over (or renews its hold on it).
 *
 * @param owner       the instance, for people and logs
 * @param leaseMillis how long no other instance may claim it, on the registry database's clock
 * @param ownerToken  the token the caller already holds, to renew instead of taking a new one; absent for
 *                    a new claim, which is refused while another claim's lease runs
 */
public record ClaimRequest(
        @NotBlank @Size(max = 200) String owner,
        @Min(100) @Max(300_000) long leaseMillis,
        @PositiveOrZero Long ownerToken) {
}
