package io.regent.testkit.postgres;

/**
 * A node's WAL positions as byte offsets; absent values are null.
 *
 * @param current  on a leader, {@code pg_current_wal_lsn()}
 * @param received on a follower, {@code pg_last_wal_receive_lsn()}
 * @param replayed on a follower, {@code pg_last_wal_replay_lsn()}
 */
public record WalPositions(Long current, Long received, Long replayed) {

    /** Parses PostgreSQL's {@code X/Y} notation into a byte offset. */
    public static Long parseLsn(String lsn) {
        if (lsn == null) {
            return null;
        }
        int slash = lsn.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an LSN: " + lsn);
        }
        return (Long.parseLong(lsn.substring(0, slash), 16) << 32) | Long.parseLong(lsn.substring(slash + 1), 16);
    }

    /** Formats a byte offset in PostgreSQL's {@code X/Y} notation. */
    public static String formatLsn(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
    }
}
