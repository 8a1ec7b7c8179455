package io.regent.registry.rest.dto;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

public record MaintenanceRequest(@NotNull Boolean enabled, @Size(max = 2000) String reason) {
}
