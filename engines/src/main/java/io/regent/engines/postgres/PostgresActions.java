package io.regent.engines.postgres;

import io.regent.engines.Deadline;
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
 * DESIGN.md (no superuser). Each action opens its own connection bounded by the caller's deadline,
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

    /**
     * Ends recovery into a fence: the standby is made read-only and unable to get a commit acknowledged
     * first, then promoted, so a promotion that arrives late (a paused or lapsed caller, a node that was
     * frozen while it was asked) never yields a second writable leader. A node no longer in recovery is
     * left exactly as it is: promote never lowers a fence - {@link #unfence} does, as its own step.
     */
    void promote(NodeTarget node, Deadline until) {
        withConnection(node, until, "promote", (connection, deadline) -> {
            if (!inRecovery(connection)) {
                return null;
            }
            fenceSettings(connection, deadline, node);
            // asked again every 50 ms until it is done: PostgreSQL 15's startup process that notices a promote
            // request while (re)starting its WAL receiver - after a leader's death it always is - sleeps
            // wal_retrieve_retry_interval (5 s) first: the request's wake-up is used up before that sleep begins
            // (measured: 5.1 s instead of 0.1 s). A second request wakes it; at 250 ms intervals every failover
            // spent about 250 ms here (PostgreSQL's log: "received promote request", "redo done" 266 ms later)
            long nextRequest = System.nanoTime();
            while (inRecovery(connection)) {
                if (System.nanoTime() - nextRequest >= 0) {
                    requireTimeLeft(deadline, node, "promote");
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("SELECT pg_promote(false)");
                    } catch (SQLException e) {
                        if (!"55000".equals(e.getSQLState())) { // "recovery is not in progress": it just finished
                            throw e;
                        }
                    }
                    nextRequest = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new EngineActionException("promote " + node + ": still in recovery at the deadline");
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new EngineActionException("promote " + node + ": interrupted");
                }
            }
            if (inRecovery(connection)) {
                throw new EngineActionException("promote " + node + ": still in recovery after pg_promote");
            }
            LOG.log(System.Logger.Level.INFO, () -> "promoted " + node + " into a fence: a leader, not writable yet");
            return null;
        });
    }

    /**
     * Opens a leader for writes: its synchronous standbys ({@code k} of {@code standbys}; {@code k = 0}
     * asynchronous), then read-write. The one action that lowers a fence; a node in recovery is refused.
     */
    void unfence(NodeTarget leader, List<String> standbys, int k, Deadline until) {
        String wanted = synchronousStandbyNames(standbys, k);
        withConnection(leader, until, "unfence", (connection, deadline) -> {
            if (inRecovery(connection)) {
                throw new EngineActionException("unfence: " + leader + " is in recovery (a standby); only a leader is "
                        + "made writable");
            }
            boolean changed = false;
            if (!wanted.equals(setting(connection, "synchronous_standby_names"))) {
                requireTimeLeft(deadline, leader, "unfence");
                execute(connection, "ALTER SYSTEM SET synchronous_standby_names = " + literal(wanted));
                changed = true;
            }
            if ("on".equals(setting(connection, "default_transaction_read_only"))) {
                requireTimeLeft(deadline, leader, "unfence");
                execute(connection, "ALTER SYSTEM RESET default_transaction_read_only");
                changed = true;
            }
            if (changed) {
                execute(connection, "SELECT pg_reload_conf()");
                awaitSetting(connection, "synchronous_standby_names", wanted, deadline, leader);
                awaitSetting(connection, "default_transaction_read_only", "off", deadline, leader);
                LOG.log(System.Logger.Level.INFO, () -> "unfenced " + leader + ": writable, synchronous standbys '"
                        + wanted + "'");
            }
            return null;
        });
    }

    void follow(NodeTarget node, NodeTarget leader, Deadline until) {
        withConnection(node, until, "follow " + leader.name(), (connection, deadline) -> {
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
            if (conninfo.remove("password") != null) {
                // never send the password through SQL, where log_statement would write it to the server's log:
                // the node's passfile holds it (written by its agent or whoever built the follower)
                conninfo.putIfAbsent("passfile", Passfile.path(setting(connection, "data_directory")));
                LOG.log(System.Logger.Level.WARNING, () -> node + ": primary_conninfo carried the replication password; it now "
                        + "reads the replication password from " + conninfo.get("passfile") + " (docs/security.md)");
            }
            execute(connection, "ALTER SYSTEM SET primary_conninfo = " + literal(Conninfo.format(conninfo)));
            execute(connection, "SELECT pg_reload_conf()");
            LOG.log(System.Logger.Level.INFO, () -> node + " now follows " + leader.name() + " at " + leader.host() + ":"
                    + leader.port());
            return null;
        });
    }

    void fence(NodeTarget node, Deadline until) {
        withConnection(node, until, "fence", (connection, deadline) -> {
            fenceSettings(connection, deadline, node);
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

    /**
     * Read-only by default and - on a leader, or on a standby about to be promoted - a synchronous standby
     * that does not exist, so that even a session overriding the default cannot get a commit acknowledged.
     */
    private static void fenceSettings(Connection connection, long deadline, NodeTarget node) throws SQLException {
        boolean changed = false;
        if (!"on".equals(setting(connection, "default_transaction_read_only"))) {
            execute(connection, "ALTER SYSTEM SET default_transaction_read_only = on");
            changed = true;
        }
        String fenced = '"' + FENCED_STANDBY + '"';
        if (!fenced.equals(setting(connection, "synchronous_standby_names"))) {
            execute(connection, "ALTER SYSTEM SET synchronous_standby_names = " + literal(fenced));
            changed = true;
        }
        if (changed) {
            execute(connection, "SELECT pg_reload_conf()");
            awaitSetting(connection, "default_transaction_read_only", "on", deadline, node);
            awaitSetting(connection, "synchronous_standby_names", fenced, deadline, node);
        }
    }

    private static String synchronousStandbyNames(List<String> standbys, int k) {
        if (k < 0 || (k > 0 && k > standbys.size())) {
            throw new IllegalArgumentException("cannot wait for " + k + " of " + standbys.size() + " standbys");
        }
        return k == 0 ? "" : "ANY " + k + " (" + standbys.stream().map(s -> '"' + s.replace("\"", "") + '"')
                .collect(Collectors.joining(", ")) + ")";
    }

    void configureSynchronous(NodeTarget leader, List<String> standbys, int k, Deadline until) {
        String wanted = synchronousStandbyNames(standbys, k);
        withConnection(leader, until, "configure synchronous replication", (connection, deadline) -> {
            if (wanted.equals(setting(connection, "synchronous_standby_names"))) {
                return null;
            }
            execute(connection, "ALTER SYSTEM SET synchronous_standby_names = " + literal(wanted));
            execute(connection, "SELECT pg_reload_conf()");
            awaitSetting(connection, "synchronous_standby_names", wanted, deadline, leader);
            return null;
        });
    }

    void checkpoint(NodeTarget node, Deadline until) {
        withConnection(node, until, "checkpoint", (connection, deadline) -> {
            execute(connection, "CHECKPOINT");
            return null;
        });
    }

    long writeBarrier(NodeTarget leader, Deadline until) {
        return withConnection(leader, until, "write barrier", (connection, deadline) -> {
            if (inRecovery(connection)) {
                throw new EngineActionException("write barrier: " + leader + " is in recovery, not a leader");
            }
            // a fenced leader defaults to read-only; this session writes only the marker. Committed, so that the WAL
            // is flushed - and streamed - at once: a non-transactional message waited in the WAL buffers for the WAL
            // writer (wal_writer_delay, 200 ms), inside the switchover's write gap. synchronous_commit = local: the
            // fence's synchronous_standby_names names a standby that does not exist, and this commit waits for none
            execute(connection, "SET default_transaction_read_only = off");
            execute(connection, "SET synchronous_commit = local");
            try (Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT pg_logical_emit_message(true, 'regent-barrier', "
                         + "now()::text) - '0/0'::pg_lsn")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    void awaitReplayed(NodeTarget follower, long position, Deadline until) {
        awaitPosition(follower, position, until, "replayed", "pg_last_wal_replay_lsn()", false);
    }

    /** Waits until {@code node} received {@code position}; at once when it is no longer in recovery. */
    void awaitReceived(NodeTarget node, long position, Deadline until) {
        awaitPosition(node, position, until, "received", RECEIVED, true);
    }

    /** What a standby has received from any upstream and flushed, or replayed from its own files: its history. */
    private static final String RECEIVED = "greatest(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())";

    /** @param promotedIsDone a node no longer in recovery ends the wait (its history is fixed) instead of failing it */
    private void awaitPosition(NodeTarget node, long position, Deadline until, String what, String lsn,
            boolean promotedIsDone) {
        withConnection(node, until, "wait until " + what, (connection, deadline) -> {
            long reached = -1;
            while (System.nanoTime() < deadline) {
                try (Statement statement = connection.createStatement();
                     ResultSet rs = statement.executeQuery("SELECT pg_is_in_recovery(), " + lsn + " - '0/0'::pg_lsn")) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        if (promotedIsDone) {
                            return null;
                        }
                        throw new EngineActionException("wait until " + what + ": " + node + " is not in recovery");
                    }
                    reached = rs.getLong(2);
                }
                if (reached >= position) {
                    return null;
                }
                pause(node, what);
            }
            throw new EngineActionException(node + " " + what + " up to " + reached + " but not " + position
                    + " by the deadline");
        });
    }

    /**
     * Re-points {@code follower} at {@code candidate} and waits until its WAL receiver streams from nobody else
     * (the reload only asks the startup process to restart it); returns what it had received by then. From
     * here on it receives only what the candidate has, so it cannot pass the candidate's fork point.
     */
    long detach(NodeTarget follower, NodeTarget leader, NodeTarget candidate, Deadline until) {
        follow(follower, candidate, until);
        return withConnection(follower, until, "detach from " + leader.name(), (connection, deadline) -> {
            while (true) {
                try (PreparedStatement statement = connection.prepareStatement("SELECT count(*) FROM "
                        + "pg_stat_wal_receiver WHERE sender_host IS NOT NULL AND (sender_host <> ? OR sender_port <> ?)")) {
                    statement.setString(1, candidate.host());
                    statement.setInt(2, candidate.port());
                    try (ResultSet rs = statement.executeQuery()) {
                        rs.next();
                        if (rs.getLong(1) == 0) {
                            break;
                        }
                    }
                }
                if (System.nanoTime() >= deadline) {
                    throw new EngineActionException(follower + " still receives from " + leader.name() + " after it was "
                            + "re-pointed to " + candidate.name());
                }
                pause(follower, "detached");
            }
            try (Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT " + RECEIVED + " - '0/0'::pg_lsn")) {
                rs.next();
                long received = rs.getLong(1);
                if (rs.wasNull()) {
                    throw new EngineActionException("detach: " + follower + " is not in recovery");
                }
                return received;
            }
        });
    }

    private static void pause(NodeTarget node, String what) {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineActionException(node + ": interrupted while waiting until " + what);
        }
    }

    private interface Work<T> {
        T run(Connection connection, long deadlineNanos) throws SQLException;
    }

    private <T> T withConnection(NodeTarget node, Deadline until, String action, Work<T> work) {
        long deadline = until.nanos();
        Duration timeout = until.remaining();
        if (timeout.isZero()) {
            throw new EngineActionException(action + " " + node + ": not started, its deadline has passed (the caller "
                    + "may no longer own the right to act)");
        }
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

    /**
     * A change starts only inside the caller's budget: a caller that was paused (or waited for a
     * connection) past it may no longer hold the right to act, so nothing is changed after it.
     */
    private static void requireTimeLeft(long deadline, NodeTarget node, String action) {
        if (System.nanoTime() >= deadline) {
            throw new EngineActionException(action + " " + node + ": not started, its time budget ran out before it "
                    + "could be (the caller may no longer own the right to act)");
        }
    }

    private static int remainingMillis(long deadline, NodeTarget node, String action) {
        long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (remaining <= 0) {
            throw new EngineActionException(action + " " + node + ": no time left after connecting");
        }
        return (int) remaining;
    }
}
