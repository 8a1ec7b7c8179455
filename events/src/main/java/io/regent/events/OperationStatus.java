package io.regent.events;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;

/** Lifecycle of an operation; {@link #SUCCEEDED}, {@link #FAILED} and {@link #CANCELLED} are final. */
public enum OperationStatus {
    PENDING,
    RUNNING,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    @JsonEnumDefaultValue
    UNKNOWN;

    public boolean isFinal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }
}
