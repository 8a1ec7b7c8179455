package io.regent.registry.rest.dto;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import java.time.Instant;

/**
 * @param name   e.g. {@code detected}, {@code promoted}
 * @param at     when it was reached; defaults to now
 * @param detail     what happened
 * @param ownerToken the caller's fencing token; required once the operation has been claimed
 */
public record PhaseRequest(
        @NotBlank @Pattern(regexp = "^[a-z][a-z0-9-]{0,62}$", message = "must be a lower-case phase name such as "
                + "'promoted'") String name,
        Instant at,
        @Size(max = 2000) String detail,
        @PositiveOrZero Long ownerToken) {

    /** A phase of an operation nobody claimed (a node agent's rejoin). */
    public PhaseRequest(String name, Instant at, String detail) {
        this(name, at, detail, null);
    }
}
