package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.Objects;

/**
 * One step of an operation, reached at {@code at}. Names are strings rather than an enum so that
 * a newer producer's phase shows up by name in an older dashboard; {@link Phases} lists the known ones.
 *
 * @param name   the phase, e.g. {@link Phases#PROMOTED}
 * @param at     when the phase was reached
 * @param detail what happened, for people
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OperationPhase(String name, Instant at, String detail) {
    public OperationPhase {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(at, "at");
    }
}
