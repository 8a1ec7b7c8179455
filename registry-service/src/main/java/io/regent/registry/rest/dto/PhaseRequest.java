package io.regent.registry.rest.dto;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.time.Instant;

/**
 * @param name   e.g. {@code detected}, {@code promoted}
 * @param at     when it was reached; defaults to now
 * @param detail what happened
 */
public record PhaseRequest(
        @NotBlank @Pattern(regexp = "^[a-z][a-z0-9-]{0,62}$", message = "must be a lower-case phase name such as "
                + "'promoted'") String name,
        Instant at,
        @Size(max = 2000) String detail) {
}
