package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * Command: an operator asks for a node that is not the leader to be made a streaming follower of the
 * current leader again - rewound onto its timeline ({@code rebuild} false: the agent falls back to a base
 * backup when a rewind is impossible), or copied afresh from the leader ({@code rebuild} true: for a node
 * whose data is suspect). Carried out by the node's agent like an automatic rejoin, recorded as a REJOIN or
 * REBUILD operation whose id is {@code requestId}.
 *
 * @param requestId     idempotency key and the operation's id: a redelivered command is carried out once
 * @param clusterId     the cluster
 * @param node          the node to rejoin or rebuild; never the leader
 * @param rebuild       a fresh copy from the leader instead of a rewind
 * @param expectedEpoch the epoch the requester saw; refused on mismatch
 * @param requestedBy   the user's subject
 * @param requestedAt   when it was requested
 * @param reason        why, for the operations history
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RejoinRequested(
        UUID requestId,
        String clusterId,
        String node,
        boolean rebuild,
        Long expectedEpoch,
        String requestedBy,
        Instant requestedAt,
        String reason) implements RegentEvent {

    public RejoinRequested {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(requestedBy, "requestedBy");
        Objects.requireNonNull(requestedAt, "requestedAt");
    }

    /** The operation this command starts. */
    public OperationKind kind() {
        return rebuild ? OperationKind.REBUILD : OperationKind.REJOIN;
    }
}
