package io.regent.events;

import java.util.Optional;

/**
 * How far behind a follower may be and still serve reads, as a load balancer's routing check asks it
 * ({@code max-lag-bytes}, {@code max-lag-transactions}, {@code max-lag-seconds}): each limit named by its unit, so
 * that a number of bytes is never compared with a count of transactions. PostgreSQL counts lag in bytes of WAL,
 * MariaDB in transactions (GTID sequence numbers); seconds of replay delay work for both. Shared by the agents'
 * checks and the gateway's, which must agree on what a parameter means.
 *
 * @param bytes        at most this many bytes of WAL behind (PostgreSQL only); null: no byte limit
 * @param transactions at most this many transactions behind (MariaDB only); null: no transaction limit
 * @param seconds      at most this much replay delay, in seconds (both engines); null: no time limit
 */
public record LagLimit(Long bytes, Long transactions, Long seconds) {

    public static final String BYTES = "max-lag-bytes";
    public static final String TRANSACTIONS = "max-lag-transactions";
    public static final String SECONDS = "max-lag-seconds";

    /** The limits a check was asked with; a negative one is a mistake of whoever wrote the check. */
    public LagLimit {
        requireNotNegative(BYTES, bytes);
        requireNotNegative(TRANSACTIONS, transactions);
        requireNotNegative(SECONDS, seconds);
    }

    private static void requireNotNegative(String name, Long value) {
        if (value != null && value < 0) {
            throw new IllegalArgumentException(name + " must not be negative (got " + value + ")");
        }
    }

    /**
     * Why these limits do not fit {@code engine} - a byte limit on MariaDB, a transaction limit on PostgreSQL - in
     * words that say what to write instead; empty when they fit.
     */
    public Optional<String> mismatch(Engine engine) {
        if (engine == Engine.MARIADB && bytes != null) {
            return Optional.of(BYTES + " does not apply to MariaDB: its lag is counted in transactions; use "
                    + TRANSACTIONS + " or " + SECONDS);
        }
        if (engine == Engine.POSTGRESQL && transactions != null) {
            return Optional.of(TRANSACTIONS + " does not apply to PostgreSQL: its lag is counted in bytes of WAL; use "
                    + BYTES + " or " + SECONDS);
        }
        return Optional.empty();
    }

    /**
     * These limits, with the engine's default where the check named no limit at all (a check that names only
     * {@code max-lag-seconds} keeps that alone).
     */
    public LagLimit orDefault(Engine engine, long defaultBytes, long defaultTransactions) {
        if (bytes != null || transactions != null || seconds != null) {
            return this;
        }
        return engine == Engine.MARIADB ? new LagLimit(null, defaultTransactions, null)
                : new LagLimit(defaultBytes, null, null);
    }

    /**
     * Why (a clause: "is 5 transactions behind (limit 3)") a follower {@code behind} (in the engine's unit) with {@code replayDelayMillis} of replay delay (null:
     * unknown) is past these limits; empty when it is within them. An unknown delay fails a time limit: a follower
     * whose delay nobody can tell is not known to be fresh.
     */
    public Optional<String> exceededBy(Engine engine, long behind, Long replayDelayMillis) {
        Long limit = engine == Engine.MARIADB ? transactions : bytes;
        if (limit != null && behind > limit) {
            return Optional.of("is " + behind + " " + unit(engine) + " behind (limit " + limit + ")");
        }
        if (seconds != null) {
            if (replayDelayMillis == null) {
                return Optional.of("has a replay delay nobody can tell (limit " + seconds + " s)");
            }
            if (replayDelayMillis > seconds * 1_000) {
                return Optional.of("replays " + replayDelayMillis + " ms behind (limit " + seconds + " s)");
            }
        }
        return Optional.empty();
    }

    /** The unit lag is counted in on {@code engine}: "bytes" or "transactions". */
    public static String unit(Engine engine) {
        return engine == Engine.MARIADB ? "transactions" : "bytes";
    }
}
