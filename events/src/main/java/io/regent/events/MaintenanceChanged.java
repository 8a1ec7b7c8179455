package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Maintenance switched on or off for a cluster. While on, Regent takes no automatic action.
 *
 * @param requestId   idempotency key
 * @param clusterId   the cluster
 * @param enabled     maintenance on or off
 * @param requestedBy the user's subject or {@code system}
 * @param requestedAt when it was requested
 * @param reason      why, for the operations history
 * @param until       when maintenance ends by itself; absent = until switched off
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MaintenanceChanged(
        UUID requestId,
        String clusterId,
        boolean enabled,
        String requestedBy,
        Instant requestedAt,
        String reason,
        Instant until) implements RegentEvent {

    public MaintenanceChanged {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(requestedBy, "requestedBy");
        Objects.requireNonNull(requestedAt, "requestedAt");
    }
}
