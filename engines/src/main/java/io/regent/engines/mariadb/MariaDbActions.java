package io.regent.engines.mariadb;

import io.regent.engines.EngineActionException;
import io.regent.engines.NodeTarget;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Promote and fence on MariaDB, as Regent's action user ({@code REPLICATION SLAVE ADMIN, RELOAD,
 * READ_ONLY ADMIN, CONNECTION ADMIN}, no table privileges). Each checks the state first, so
 * repeating one that took effect succeeds.
 */
final class MariaDbActions {

    private static final System.Logger LOG = System.getLogger(MariaDbActions.class.getName());

    /** Client sessions: not the server's own threads, not replication, not this session. */
    private static final String CLIENT_SESSIONS = """
            SELECT ID FROM information_schema.PROCESSLIST
            WHERE ID <> CONNECTION_ID() AND USER NOT IN ('system user', 'event_scheduler')
              AND COMMAND NOT IN ('Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker', 'Binlog Dump',
                                  'Binlog Dump GTID')""";
    private static final int UNKNOWN_THREAD = 1094;

    /**
     * Makes a follower the leader without dropping what it already received: the SQL thread (started
     * if it was stopped) applies the relay log up to what the IO thread received, then replication
     * is stopped and reset and the node made writable. An applier that cannot get there in time
     * fails the promotion rather than losing transactions.
     */
    void promote(NodeTarget node, Duration timeout) {
        withConnection(node, timeout, "promote", (connection, deadline) -> {
            if (replicating(connection)) {
                // the applier catches up while the IO thread still runs: in GTID mode, stopping or
                // restarting the IO thread discards the relay log not applied yet (measured here)
                execute(connection, "START SLAVE SQL_THREAD"); // no-op when it runs; a stalled one owes the relay log
                awaitRelayLogApplied(connection, deadline, node);
                execute(connection, "STOP SLAVE");
                execute(connection, "RESET SLAVE ALL");
            }
            if (readOnly(connection)) {
                execute(connection, "SET GLOBAL read_only = OFF");
            }
            LOG.log(System.Logger.Level.INFO, () -> "promoted " + node + ": replication reset, writable");
            return null;
        });
    }

    /**
     * Stops the node from taking writes: {@code read_only} (transactions still open fail at commit),
     * then ends every client session, which {@code read_only} alone leaves connected.
     */
    void fence(NodeTarget node, Duration timeout) {
        withConnection(node, timeout, "fence", (connection, deadline) -> {
            if (!readOnly(connection)) {
                execute(connection, "SET GLOBAL read_only = ON");
            }
            List<Long> sessions = new ArrayList<>();
            try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(CLIENT_SESSIONS)) {
                while (rs.next()) {
                    sessions.add(rs.getLong(1));
                }
            }
            int killed = 0;
            for (long id : sessions) {
                try {
                    execute(connection, "KILL CONNECTION " + id);
                    killed++;
                } catch (SQLException e) {
                    if (e.getErrorCode() != UNKNOWN_THREAD) {
                        throw e;
                    } // it ended by itself meanwhile
                }
            }
            int ended = killed;
            LOG.log(System.Logger.Level.INFO, () -> "fenced " + node + ": read-only, " + ended
                    + " client session(s) ended");
            return null;
        });
    }

    private static boolean replicating(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery("SHOW SLAVE STATUS")) {
            return rs.next();
        }
    }

    private static boolean readOnly(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery("SELECT @@read_only")) {
            rs.next();
            return rs.getInt(1) != 0;
        }
    }

    /**
     * Waits until the SQL thread has executed everything the IO thread wrote to the relay log: the
     * leader's binlog coordinates read and executed are the same.
     */
    private static void awaitRelayLogApplied(Connection connection, long deadline, NodeTarget node) throws SQLException {
        while (true) {
            String state;
            try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery("SHOW SLAVE STATUS")) {
                if (!rs.next()) {
                    return;
                }
                boolean applied = rs.getString("Master_Log_File").equals(rs.getString("Relay_Master_Log_File"))
                        && rs.getLong("Exec_Master_Log_Pos") >= rs.getLong("Read_Master_Log_Pos");
                if (applied) {
                    return;
                }
                String sqlError = rs.getString("Last_SQL_Error");
                if (!"Yes".equals(rs.getString("Slave_SQL_Running")) && sqlError != null && !sqlError.isEmpty()) {
                    throw new SQLException(node + " cannot apply its relay log (" + sqlError + "): promoting it "
                            + "would drop transactions it received");
                }
                state = "executed " + rs.getString("Relay_Master_Log_File") + ":" + rs.getLong("Exec_Master_Log_Pos")
                        + " of " + rs.getString("Master_Log_File") + ":" + rs.getLong("Read_Master_Log_Pos");
            }
            if (System.nanoTime() > deadline) {
                throw new SQLException(node + " " + state + " before the deadline: promoting it now would drop "
                        + "transactions it received");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while " + node + " applied its relay log", e);
            }
        }
    }

    private interface Work<T> {
        T run(Connection connection, long deadlineNanos) throws SQLException;
    }

    private static <T> T withConnection(NodeTarget node, Duration timeout, String action, Work<T> work) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Properties props = new Properties();
        props.setProperty("user", node.username());
        props.setProperty("password", node.password() == null ? "" : node.password());
        props.setProperty("connectTimeout", Long.toString(Math.max(1, timeout.toMillis())));
        props.setProperty("socketTimeout", Long.toString(Math.max(1, timeout.toMillis())));
        try (Connection connection = DriverManager.getConnection("jdbc:mariadb://" + node.host() + ":" + node.port()
                + "/", props)) {
            return work.run(connection, deadline);
        } catch (SQLException e) {
            throw new EngineActionException(action + " " + node + " failed: " + e.getMessage()
                    + (e.getErrorCode() == 0 ? "" : " (error " + e.getErrorCode() + ")"), e);
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
