package io.regent.engines.postgres;

import io.regent.engines.EngineActionException;
import io.regent.engines.NodeTarget;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Promote, follow, fence and synchronous settings on PostgreSQL, with the least-privilege role of
 * DESIGN.md (no superuser). Each action opens its own connection bounded by the caller's timeout,
 * reads the current state first and does nothing when the action already took effect, so that an
 * executor can repeat any step after a crash.
 */
final class PostgresActions {

    /** A standby name no node has: a leader configured to wait for it can never acknowledge a commit. */
    static final String FENCED_STANDBY = "regent-fenced";

    private static final System.Logger LOG = System.getLogger(PostgresActions.class.getName());

    private final String applicationName;

    PostgresActions(String applicationName) {
        this.applicationName = applicationName;
    }

    void promote(NodeTarget node, Duration timeout) {
        withConnection(node, timeout, "promote", (connection, deadline) -> {
            if (inRecovery(connection)) {
                int waitSeconds = (int) Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()));
                try (PreparedStatement promote = connection.prepareStatement("SELECT pg_promote(true, ?)")) {
                    promote.setInt(1, waitSeconds);
                    try (ResultSet rs = promote.executeQuery()) {
                        rs.next();
                        if (!rs.getBoolean(1)) {
                            throw new EngineActionException("promote " + node + ": pg_promote did not finish within "
                                    + waitSeconds + " s; the node is still in recovery");
                        }
                    }
                }
            }
            if (inRecovery(connection)) {
                throw new EngineActionException("promote " + node + ": still in recovery after pg_promote");
            }
            // a node fenced in an earlier epoch keeps its fence settings through a promotion
            boolean fencedStandby = ('"' + FENCED_STANDBY + '"').equals(setting(connection, "synchronous_standby_names"));
            if (fencedStandby) {
                execute(connection, "ALTER SYSTEM RESET synchronous_standby_names");
            }
            if ("on".equals(setting(connection, "default_transaction_read_only"))) {
                execute(connection, "ALTER SYSTEM RESET default_transaction_read_only");
                fencedStandby = true;
            }
            if (fencedStandby) {
                execute(connection, "SELECT pg_reload_conf()");
                awaitSetting(connection, "default_transaction_read_only", "off", deadline, node);
            }
            return null;
        });
    }

    void follow(NodeTarget node, NodeTarget leader, Duration timeout) {
        withConnection(node, timeout, "follow " + leader.name(), (connection, deadline) -> {
            if (!inRecovery(connection)) {
                throw new EngineActionException("follow: " + node + " is not in recovery (it acts as a leader); "
                        + "an old leader must be rewound before it can follow " + leader.name());
            }
            String current = setting(connection, "primary_conninfo");
            Map<String, String> conninfo = Conninfo.parse(current == null ? "" : current);
            if (leader.host().equals(conninfo.get("host"))
                    && Integer.toString(leader.port()).equals(conninfo.get("port"))) {
                return null; // already following
            }
            conninfo.put("host", leader.host());
            conninfo.put("port", Integer.toString(leader.port()));
            conninfo.remove("hostaddr");
            execute(connection, "ALTER SYSTEM SET primary_conninfo = " + literal(Conninfo.format(conninfo)));
            execute(connection, "SELECT pg_reload_conf()");
            LOG.log(System.Logger.Level.INFO, () -> node + " now follows " + leader.name() + " at " + leader.host() + ":"
                    + leader.port());
            return null;
        });
    }

    void fence(NodeTarget node, Duration timeout) {
        withConnection(node, timeout, "fence", (connection, deadline) -> {
            boolean changed = false;
            if (!"on".equals(setting(connection, "default_transaction_read_only"))) {
                execute(connection, "ALTER SYSTEM SET default_transaction_read_only = on");
                changed = true;
            }
            String fenced = '"' + FENCED_STANDBY + '"';
            if (!inRecovery(connection) && !fenced.equals(setting(connection, "synchronous_standby_names"))) {
                // a session that overrides the read-only default still cannot get a commit acknowledged
                execute(connection, "ALTER SYSTEM SET synchronous_standby_names = " + literal(fenced));
                changed = true;
            }
            if (changed) {
                execute(connection, "SELECT pg_reload_conf()");
                awaitSetting(connection, "default_transaction_read_only", "on", deadline, node);
            }
            // sessions opened before the reload keep writing in open transactions: end them
            int terminated = 0;
            try (Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                         + "FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
                         + "AND NOT (SELECT rolsuper FROM pg_roles WHERE oid = usesysid)")) {
                rs.next();
                terminated = rs.getInt(1);
            }
            int ended = terminated;
            LOG.log(System.Logger.Level.INFO, () -> "fenced " + node + ": read-only, commits cannot be acknowledged, "
                    + ended + " client session(s) terminated");
            return null;
        });
    }

    void configureSynchronous(NodeTarget leader, List<String> standbys, int k, Duration timeout) {
        if (k < 0 || (k > 0 && k > standbys.size())) {
            throw new IllegalArgumentException("cannot wait for " + k + " of " + standbys.size() + " standbys");
        }
        String wanted = k == 0 ? "" : "ANY " + k + " (" + standbys.stream().map(s -> '"' + s.replace("\"", "") + '"')
                .collect(Collectors.joining(", ")) + ")";
        withConnection(leader, timeout, "configure synchronous replication", (connection, deadline) -> {
            if (wanted.equals(setting(connection, "synchronous_standby_names"))) {
                return null;
            }
            execute(connection, "ALTER SYSTEM SET synchronous_standby_names = " + literal(wanted));
            execute(connection, "SELECT pg_reload_conf()");
            awaitSetting(connection, "synchronous_standby_names", wanted, deadline, leader);
            return null;
        });
    }

    void checkpoint(NodeTarget node, Duration timeout) {
        withConnection(node, timeout, "checkpoint", (connection, deadline) -> {
            execute(connection, "CHECKPOINT");
            return null;
        });
    }

    long writeBarrier(NodeTarget leader, Duration timeout) {
        return withConnection(leader, timeout, "write barrier", (connection, deadline) -> {
            if (inRecovery(connection)) {
                throw new EngineActionException("write barrier: " + leader + " is in recovery, not a leader");
            }
            // a fenced leader defaults to read-only; this session writes only the marker
            execute(connection, "SET default_transaction_read_only = off");
            try (Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT pg_logical_emit_message(false, 'regent-barrier', "
                         + "now()::text) - '0/0'::pg_lsn")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    void awaitReplayed(NodeTarget follower, long position, Duration timeout) {
        withConnection(follower, timeout, "await replay", (connection, deadline) -> {
            long replayed = -1;
            while (System.nanoTime() < deadline) {
                try (Statement statement = connection.createStatement();
                     ResultSet rs = statement.executeQuery("SELECT pg_is_in_recovery(), "
                             + "pg_last_wal_replay_lsn() - '0/0'::pg_lsn")) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        throw new EngineActionException("await replay: " + follower + " is not in recovery");
                    }
                    replayed = rs.getLong(2);
                }
                if (replayed >= position) {
                    return null;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new EngineActionException(follower + ": interrupted while waiting for replay");
                }
            }
            throw new EngineActionException(follower + " replayed up to " + replayed + " but not " + position
                    + " within " + timeout.toMillis() + " ms");
        });
    }

    private interface Work<T> {
        T run(Connection connection, long deadlineNanos) throws SQLException;
    }

    private <T> T withConnection(NodeTarget node, Duration timeout, String action, Work<T> work) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Properties props = new Properties();
        props.setProperty("user", node.username());
        props.setProperty("password", node.password() == null ? "" : node.password());
        int seconds = (int) Math.max(1, timeout.toSeconds());
        props.setProperty("connectTimeout", Integer.toString(seconds));
        props.setProperty("loginTimeout", Integer.toString(seconds));
        props.setProperty("ApplicationName", applicationName);
        String url = "jdbc:postgresql://" + node.host() + ":" + node.port() + "/" + node.database();
        try (Connection connection = DriverManager.getConnection(url, props)) {
            connection.setNetworkTimeout(Runnable::run, remainingMillis(deadline, node, action));
            return work.run(connection, deadline);
        } catch (SQLException e) {
            throw new EngineActionException(action + " " + node + " failed: " + e.getMessage()
                    + (e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")"), e);
        }
    }

    private static boolean inRecovery(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static String setting(Connection connection, String name) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT current_setting(?)")) {
            statement.setString(1, name);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** pg_reload_conf() only signals: wait until this session sees the new value. */
    private static void awaitSetting(Connection connection, String name, String value, long deadline,
            NodeTarget node) throws SQLException {
        while (!value.equals(setting(connection, name))) {
            if (System.nanoTime() > deadline) {
                throw new EngineActionException(node + ": " + name + " did not become '" + value
                        + "' after a configuration reload");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EngineActionException(node + ": interrupted while waiting for " + name);
            }
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    private static int remainingMillis(long deadline, NodeTarget node, String action) {
        long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (remaining <= 0) {
            throw new EngineActionException(action + " " + node + ": no time left after connecting");
        }
        return (int) remaining;
    }
}
