package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Objects;

/** The class of a failed probe and the driver's message (never containing credentials). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ProbeError(ProbeErrorKind kind, String message) {
    public ProbeError {
        Objects.requireNonNull(kind, "kind");
    }
}
