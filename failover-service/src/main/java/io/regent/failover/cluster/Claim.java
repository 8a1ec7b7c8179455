package io.regent.failover.cluster;

import io.regent.events.OperationUpdated;
import java.util.UUID;

/**
 * This instance's claim on an operation in the registry: its fencing token, until when (this process's
 * monotonic nanos) it may start steps, and the operation and the cluster's epoch as the registry answered
 * the claim - complete, since no one else can record anything for the operation while it is held.
 */
public final class Claim {

    private final UUID operationId;
    private final long token;
    private final OperationUpdated claimed;
    private final long epoch;
    private volatile long usableUntilNanos;

    public Claim(UUID operationId, long token, OperationUpdated claimed, long epoch, long usableUntilNanos) {
        this.operationId = operationId;
        this.token = token;
        this.claimed = claimed;
        this.epoch = epoch;
        this.usableUntilNanos = usableUntilNanos;
    }

    public UUID operationId() {
        return operationId;
    }

    public long token() {
        return token;
    }

    /** The operation as it stood when this instance claimed it. */
    public OperationUpdated claimed() {
        return claimed;
    }

    /** The cluster's leader epoch when this instance claimed the operation. */
    public long epoch() {
        return epoch;
    }

    public long usableUntilNanos() {
        return usableUntilNanos;
    }

    /** A check renewed the lease: steps may start until {@code nanos}. */
    public void usableUntil(long nanos) {
        usableUntilNanos = nanos;
    }
}
