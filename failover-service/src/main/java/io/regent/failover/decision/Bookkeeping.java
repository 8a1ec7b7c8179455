package io.regent.failover.decision;

import java.time.Instant;
import java.util.Map;

/**
 * What this instance itself did to the cluster lately, as far as the rules need it: the gates that keep
 * one decision from being carried out twice while its effect is not visible yet. Written by the loop as
 * it acts; read only here, by the pure rules.
 *
 * @param maintenanceUntil when a maintenance window switched on by command ends by itself; null when none
 * @param refusedAtEpoch   the epoch whose needed failover was already refused (and recorded); -1 when none
 * @param fencedAt         node → when this instance last fenced it
 * @param unfencedAt       when this instance last made the leader writable again; null when never
 * @param rejoining        a rejoin of the cluster runs now
 * @param nextRejoinAt     no rejoin starts before this (after a failed one); null when free
 */
public record Bookkeeping(Instant maintenanceUntil, long refusedAtEpoch, Map<String, Instant> fencedAt,
        Instant unfencedAt, boolean rejoining, Instant nextRejoinAt) {

    public static final Bookkeeping NONE = new Bookkeeping(null, -1, Map.of(), null, false, null);

    public Bookkeeping {
        fencedAt = fencedAt == null ? Map.of() : Map.copyOf(fencedAt);
    }

    /** Whether this instance fenced {@code node} after {@code since}. */
    boolean fencedAfter(String node, Instant since) {
        Instant at = fencedAt.get(node);
        return at != null && at.isAfter(since);
    }
}
