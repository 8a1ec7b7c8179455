package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Command: an operator declares the leader lost and asks for a failover now, skipping the
 * detection window. The RPO-zero and candidate rules still apply.
 *
 * @param requestId     idempotency key: a redelivered command is carried out once
 * @param clusterId     the cluster
 * @param candidate     the follower to promote; absent = the best candidate
 * @param expectedEpoch the epoch the requester saw; refused on mismatch
 * @param requestedBy   the user's subject or {@code system}
 * @param requestedAt   when it was requested
 * @param reason        why, for the operations history
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FailoverRequested(
        UUID requestId,
        String clusterId,
        String candidate,
        Long expectedEpoch,
        String requestedBy,
        Instant requestedAt,
        String reason) implements RegentEvent {

    public FailoverRequested {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(requestedBy, "requestedBy");
        Objects.requireNonNull(requestedAt, "requestedAt");
    }
}
