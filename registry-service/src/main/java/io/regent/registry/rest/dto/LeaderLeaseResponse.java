package io.regent.registry.rest.dto;

import java.time.Instant;

/**
 * The cluster's leader lease as the registry's database sees it now.
 *
 * @param clusterId       the cluster
 * @param node            the leader the lease was granted to; null when there is none (never granted, or given up)
 * @param epoch           the leader epoch it was granted at
 * @param holder          the node agent that holds it
 * @param expiresAt       when it runs out, on the registry database's clock (for people)
 * @param remainingMillis how long it still runs, measured on the database's clock when it answered; negative
 *                        when it ran out that long ago; null when there is no lease. Callers add it to their
 *                        own monotonic clock from before they asked.
 */
public record LeaderLeaseResponse(String clusterId, String node, Long epoch, String holder, Instant expiresAt,
        Long remainingMillis) {

    public static LeaderLeaseResponse none(String clusterId) {
        return new LeaderLeaseResponse(clusterId, null, null, null, null, null);
    }
}
