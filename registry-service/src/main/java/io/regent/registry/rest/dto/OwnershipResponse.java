package io.regent.registry.rest.dto;

import io.regent.events.OperationUpdated;
import java.time.Instant;

/**
 * The caller holds the operation: its token, its lease, and the cluster as committed now.
 *
 * @param operation      the operation
 * @param owner          the instance holding it
 * @param ownerToken     the fencing token of this claim; every later step must present it
 * @param leaseMillis    the lease granted from when the registry answered
 * @param leaseExpiresAt when the lease ends, on the registry database's clock (for people; callers
 *                       measure {@code leaseMillis} on their own monotonic clock from before they asked)
 * @param epoch          the cluster's leader epoch now
 * @param leader         the cluster's leader now
 */
public record OwnershipResponse(OperationUpdated operation, String owner, long ownerToken, long leaseMillis,
        Instant leaseExpiresAt, long epoch, String leader) {
}
