package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The current state of an operation (failover, switchover, rejoin …), published on every change
 * to {@link Topics#OPERATIONS}. Each record is complete, so a consumer needs only the latest.
 *
 * @param operationId the operation
 * @param clusterId   the cluster
 * @param kind        what it does
 * @param status      where it is in its lifecycle
 * @param fromNode    the leader before (or the node acted on)
 * @param toNode      the leader after, once chosen
 * @param epochBefore the epoch the operation started from
 * @param epochAfter  the epoch it produced, once committed
 * @param initiator   {@code system} or the user's subject
 * @param reason      why it was started, for people
 * @param phases      the phases reached so far, in order
 * @param startedAt   when it was recorded
 * @param updatedAt   when this record was produced
 * @param finishedAt  when it reached a final status
 * @param error       why it failed, when it did
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record OperationUpdated(
        UUID operationId,
        String clusterId,
        OperationKind kind,
        OperationStatus status,
        String fromNode,
        String toNode,
        Long epochBefore,
        Long epochAfter,
        String initiator,
        String reason,
        List<OperationPhase> phases,
        Instant startedAt,
        Instant updatedAt,
        Instant finishedAt,
        String error) implements RegentEvent {

    public OperationUpdated {
        Objects.requireNonNull(operationId, "operationId");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(startedAt, "startedAt");
        phases = phases == null ? List.of() : List.copyOf(phases);
    }
}
