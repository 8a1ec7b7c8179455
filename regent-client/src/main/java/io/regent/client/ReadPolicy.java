package io.regent.client;

/**
 * Which node may serve read-only work.
 *
 * @param maxLagBytes how far behind the leader a follower may be, in bytes of the leader's write stream,
 *                    measured for each connection handed out (PostgreSQL: WAL bytes between the follower's
 *                    replayed position and the leader's written one, the latter read after the former)
 * @param leaderFallback when no follower is within the bound (or none can be measured, e.g. while the leader
 *                    is down): use the leader instead of failing
 */
public record ReadPolicy(long maxLagBytes, boolean leaderFallback) {

    public ReadPolicy {
        if (maxLagBytes < 0) {
            throw new IllegalArgumentException("maxLagBytes must not be negative, got " + maxLagBytes);
        }
    }

    /** Followers at most {@code maxLagBytes} behind; none such is an error ({@link java.sql.SQLException}). */
    public static ReadPolicy followersWithin(long maxLagBytes) {
        return new ReadPolicy(maxLagBytes, false);
    }

    /** The same bound, falling back to the leader when no follower meets it. */
    public ReadPolicy orLeader() {
        return new ReadPolicy(maxLagBytes, true);
    }
}
