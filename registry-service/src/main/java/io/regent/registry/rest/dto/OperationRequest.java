package io.regent.registry.rest.dto;

import io.regent.events.OperationKind;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import java.util.UUID;

/**
 * An operation's intent, recorded before anything is done.
 *
 * @param id          optional client-chosen id: creating the same id twice returns the existing one
 * @param kind        what it does
 * @param fromNode    the leader before, or the node acted on
 * @param toNode      the intended new leader
 * @param epochBefore the epoch it starts from
 * @param initiator   {@code system} or the user's subject; defaults to the caller
 * @param reason      why
 * @param refused     true for a refusal: a leader change that was needed but not made (the reason says why) is
 *                    recorded as FAILED at once, in one transaction, with a DETECTED phase and the reason as its
 *                    error - it never runs, so it never holds the leader's lease back nor blocks another operation
 */
public record OperationRequest(
        UUID id,
        @NotNull OperationKind kind,
        @Size(max = 63) String fromNode,
        @Size(max = 63) String toNode,
        @PositiveOrZero Long epochBefore,
        @Size(max = 200) String initiator,
        @Size(max = 2000) String reason,
        Boolean refused) {

    public OperationRequest(UUID id, OperationKind kind, String fromNode, String toNode, Long epochBefore,
            String initiator, String reason) {
        this(id, kind, fromNode, toNode, epochBefore, initiator, reason, null);
    }

    public boolean isRefusal() {
        return Boolean.TRUE.equals(refused);
    }
}
