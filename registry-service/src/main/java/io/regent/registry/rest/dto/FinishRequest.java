package io.regent.registry.rest.dto;

import io.regent.events.OperationStatus;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;

/**
 * @param status     SUCCEEDED, FAILED or CANCELLED
 * @param epochAfter the epoch the operation produced
 * @param error      why it failed
 */
public record FinishRequest(@NotNull OperationStatus status, @PositiveOrZero Long epochAfter,
        @Size(max = 4000) String error) {
}
