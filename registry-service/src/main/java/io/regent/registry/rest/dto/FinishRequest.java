package io.regent.registry.rest.dto;

import io.regent.events.OperationStatus;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

/**
 * @param status     SUCCEEDED, FAILED or CANCELLED
 * @param epochAfter the epoch the operation produced
 * @param error      why it failed
 * @param ownerToken the caller's fencing token; required once the operation has been claimed
 */
public record FinishRequest(@NotNull OperationStatus status, @PositiveOrZero Long epochAfter,
        @Size(max = 4000) String error, @PositiveOrZero Long ownerToken) {

    public FinishRequest(OperationStatus status, Long epochAfter, String error) {
        this(status, epochAfter, error, null);
    }
}
