package io.regent.client;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.OptionalLong;

/**
 * How an engine tells, on a connection, where a node stands in the leader's write stream, in bytes: a
 * follower's replayed position (what a read on it sees) and the leader's written position. Positions of
 * one cluster are comparable across a promotion (a new timeline continues the old one's numbering).
 */
public interface ReplicationPositions {

    /** The position a follower has replayed up to; empty when the node is not a follower (not in recovery). */
    OptionalLong replayed(Connection follower) throws SQLException;

    /** The position the leader has written up to; empty when the node is not a leader (in recovery). */
    OptionalLong written(Connection leader) throws SQLException;

    /** PostgreSQL: {@code pg_last_wal_replay_lsn()} and {@code pg_current_wal_lsn()}, as bytes from 0/0. */
    static ReplicationPositions postgres() {
        return new ReplicationPositions() {
            @Override
            public OptionalLong replayed(Connection follower) throws SQLException {
                return single(follower, "SELECT CASE WHEN pg_is_in_recovery() AND pg_last_wal_replay_lsn() IS NOT NULL "
                        + "THEN pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint END");
            }

            @Override
            public OptionalLong written(Connection leader) throws SQLException {
                return single(leader, "SELECT CASE WHEN NOT pg_is_in_recovery() "
                        + "THEN pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint END");
            }
        };
    }

    private static OptionalLong single(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(sql)) {
            row.next();
            long value = row.getLong(1);
            return row.wasNull() ? OptionalLong.empty() : OptionalLong.of(value);
        }
    }
}
