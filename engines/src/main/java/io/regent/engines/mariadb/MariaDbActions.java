package io.regent.engines.mariadb;

import io.regent.engines.Deadline;
import io.regent.engines.EngineActionException;
import io.regent.engines.NodeTarget;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Promote, follow, rejoin and fence on MariaDB, as Regent's action user ({@code REPLICATION SLAVE
 * ADMIN, RELOAD, READ_ONLY ADMIN, CONNECTION ADMIN}, no table privileges). Each checks the state
 * first, so repeating one that took effect succeeds.
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
    /** About 50 days: in effect never falls back to asynchronous, so no commit is acknowledged unreplicated. */
    static final long SEMI_SYNC_TIMEOUT_MILLIS = 4_294_967_295L;
    /** How often a leader with nothing to send tells its followers it is alive: more often than agents probe. */
    static final String HEARTBEAT_PERIOD_SECONDS = "0.5";

    private final ReplicationLogin replicationLogin;

    /** @param replicationLogin what a rejoined leader replicates as; null when none is configured */
    MariaDbActions(ReplicationLogin replicationLogin) {
        this.replicationLogin = replicationLogin;
    }

    /**
     * Makes a follower a leader without dropping what it already received, into a fence: it is made
     * read-only first, then the SQL thread (started if it was stopped) applies the relay log up to what
     * the IO thread received, then replication is stopped and reset. It stays read-only until
     * {@link #unfence}: promote never lowers a fence, so a late promotion cannot open a second writable
     * node. An applier that cannot get there in time fails the promotion rather than losing transactions.
     */
    void promote(NodeTarget node, Deadline until) {
        withConnection(node, until, "promote", (connection, deadline) -> {
            if (slaveStatus(connection) == null) {
                return null; // already a leader: left as it is, fenced or not
            }
            requireTimeLeft(deadline, node, "promote");
            if (!readOnly(connection)) {
                execute(connection, "SET GLOBAL read_only = ON");
            }
            // the applier catches up while the IO thread still runs: in GTID mode, stopping or
            // restarting the IO thread discards the relay log not applied yet (measured here)
            execute(connection, "START SLAVE SQL_THREAD"); // no-op when it runs; a stalled one owes the relay log
            awaitRelayLogApplied(connection, deadline, node);
            requireTimeLeft(deadline, node, "promote");
            execute(connection, "STOP SLAVE");
            execute(connection, "RESET SLAVE ALL");
            LOG.log(System.Logger.Level.INFO, () -> "promoted " + node + " into a fence: replication reset, read-only");
            return null;
        });
    }

    /**
     * Opens a leader for writes: semi-synchronous acknowledgement when {@code k = 1} (see
     * {@link #configureSynchronous}), then {@code read_only} off. Refused on a node that still replicates.
     */
    void unfence(NodeTarget leader, int k, Deadline until) {
        configureSynchronous(leader, k, until);
        withConnection(leader, until, "unfence", (connection, deadline) -> {
            if (slaveStatus(connection) != null) {
                throw new EngineActionException("unfence: " + leader + " still replicates (a follower); only a leader "
                        + "is made writable");
            }
            if (readOnly(connection)) {
                requireTimeLeft(deadline, leader, "unfence");
                execute(connection, "SET GLOBAL read_only = OFF");
                LOG.log(System.Logger.Level.INFO, () -> "unfenced " + leader + ": writable");
            }
            return null;
        });
    }

    /** A change starts only inside the caller's budget (see {@code PostgresActions.requireTimeLeft}). */
    private static void requireTimeLeft(long deadline, NodeTarget node, String action) {
        if (System.nanoTime() >= deadline) {
            throw new EngineActionException(action + " " + node + ": not started, its time budget ran out before it "
                    + "could be (the caller may no longer own the right to act)");
        }
    }

    /**
     * Stops the node from taking writes: {@code read_only} (transactions still open fail at commit),
     * then ends every client session, which {@code read_only} alone leaves connected.
     */
    void fence(NodeTarget node, Deadline until) {
        withConnection(node, until, "fence", (connection, deadline) -> {
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

    /**
     * Re-points a follower at {@code leader} from where it applied ({@code MASTER_USE_GTID=slave_pos}),
     * keeping its replication login. A node without replication configured acts as a leader: it must
     * be rejoined, which checks it for transactions the leader lacks first.
     */
    void follow(NodeTarget node, NodeTarget leader, Deadline until) {
        withConnection(node, until, "follow " + leader.name(), (connection, deadline) -> {
            Map<String, String> status = slaveStatus(connection);
            if (status == null) {
                throw new EngineActionException("follow: " + node + " has no replication configured (it acts as a "
                        + "leader); a replaced leader must be rejoined, which checks it for transactions "
                        + leader.name() + " lacks");
            }
            if (followsAndRuns(status, leader)) {
                return null;
            }
            if (!readOnly(connection)) {
                execute(connection, "SET GLOBAL read_only = ON");
            }
            execute(connection, "STOP SLAVE");
            replicaSideOnly(connection);
            changeMaster(connection, leader, null); // keeps the login it replicates with
            execute(connection, "START SLAVE");
            awaitReceiving(connection, deadline, node, leader);
            LOG.log(System.Logger.Level.INFO, () -> node + " now follows " + leader.name() + " at " + leader.host()
                    + ":" + leader.port());
            return null;
        });
    }

    /**
     * Makes a replaced leader a follower of {@code leader}: read-only first, then refused when it holds
     * transactions the leader lacks (errant: following would diverge silently, or stop with error
     * 1236), else it replicates from its own last transaction on.
     */
    void rejoin(NodeTarget node, NodeTarget leader, Deadline until) {
        String leaderState = withConnection(leader, until, "rejoin " + node.name() + " (reading the leader)",
                (connection, deadline) -> stringValue(connection, "SELECT @@gtid_binlog_state"));
        withConnection(node, until, "rejoin as a follower of " + leader.name(), (connection, deadline) -> {
            if (!readOnly(connection)) {
                execute(connection, "SET GLOBAL read_only = ON"); // nothing new while it is compared
            }
            String nodeState = stringValue(connection, "SELECT @@gtid_binlog_state");
            List<GtidPosition.Gtid> errant = GtidPosition.errant(nodeState, leaderState);
            if (!errant.isEmpty()) {
                throw new EngineActionException("rejoin " + node + " refused: it holds transaction(s) " + errant
                        + " that " + leader.name() + " lacks (its binlog state " + nodeState + ", the leader's "
                        + leaderState + "); following would diverge silently. Rebuild it from " + leader.name()
                        + ", or recover those transactions first; it stays read-only");
            }
            Map<String, String> status = slaveStatus(connection);
            if (status != null && followsAndRuns(status, leader)) {
                return null;
            }
            if (status == null && replicationLogin == null) {
                throw new EngineActionException("rejoin " + node + ": it has no replication login left (promotion "
                        + "reset it) and none is configured for Regent (regent.failover.mariadb.replication-user)");
            }
            if (status != null) {
                execute(connection, "STOP SLAVE");
            }
            // it continues after what its own binlog holds: its writes as leader, which the leader has too
            String binlogPos = stringValue(connection, "SELECT @@gtid_binlog_pos");
            if (!binlogPos.isEmpty()) {
                execute(connection, "SET GLOBAL gtid_slave_pos = " + quote(binlogPos));
            }
            replicaSideOnly(connection);
            changeMaster(connection, leader, replicationLogin);
            execute(connection, "START SLAVE");
            awaitReceiving(connection, deadline, node, leader);
            LOG.log(System.Logger.Level.INFO, () -> "rejoined " + node + " as a follower of " + leader.name()
                    + " from " + binlogPos);
            return null;
        });
    }

    /**
     * The leader's last binlogged transaction (domain {@link MariaDbAdapter#DOMAIN}): a commit is
     * acknowledged only once it is in the binlog, so every acknowledged write is at or before it.
     * Called on a fenced leader, nothing can follow it.
     */
    long writeBarrier(NodeTarget leader, Deadline until) {
        return withConnection(leader, until, "write barrier", (connection, deadline) ->
                GtidPosition.parse(stringValue(connection, "SELECT @@gtid_binlog_pos")).sequence(MariaDbAdapter.DOMAIN));
    }

    /** Waits until the follower's applier has executed transaction {@code position} of the domain. */
    void awaitReplayed(NodeTarget follower, long position, Deadline until) {
        // the connection outlives the wait by 5 s, so that a slow answer still tells how far it got
        withConnection(follower, new Deadline(until.nanos() + TimeUnit.SECONDS.toNanos(5)), "wait for replay",
                (connection, deadline) -> {
            while (true) {
                long applied = GtidPosition.parse(stringValue(connection, "SELECT @@gtid_slave_pos"))
                        .sequence(MariaDbAdapter.DOMAIN);
                if (applied >= position) {
                    return null;
                }
                Map<String, String> status = slaveStatus(connection);
                if (status != null && "No".equals(status.get("Slave_SQL_Running"))
                        && !"0".equals(status.get("Last_SQL_Errno"))) {
                    throw new SQLException(follower + " stopped applying at " + applied + " of " + position + ": "
                            + status.get("Last_SQL_Error"));
                }
                if (until.passed()) {
                    throw new SQLException(follower + " applied " + applied + " of " + position + " transactions "
                            + "by the deadline");
                }
                pause(follower);
            }
        });
    }

    /**
     * Lossless semi-synchronous replication for {@code k = 1}: a commit returns once a replica has
     * received it, and is not visible before ({@code AFTER_SYNC}); it never falls back to asynchronous
     * ({@link #SEMI_SYNC_TIMEOUT_MILLIS}), as PostgreSQL's synchronous replication does not. MariaDB
     * waits for one acknowledgement at most, so {@code ANY k > 1} is refused. {@code k = 0}: the leader
     * waits for nobody.
     */
    void configureSynchronous(NodeTarget leader, int k, Deadline until) {
        if (k > 1) {
            throw new EngineActionException("MariaDB waits for one replica's acknowledgement at most; synchronous "
                    + "ANY " + k + " cannot be kept - register the cluster with ANY 1 (semi-synchronous) or asynchronous");
        }
        withConnection(leader, until, "configure " + (k == 0 ? "asynchronous" : "semi-synchronous") + " replication",
                (connection, deadline) -> {
                    boolean enabled = !"0".equals(stringValue(connection, "SELECT @@rpl_semi_sync_master_enabled"));
                    if (k == 0) {
                        if (enabled) {
                            execute(connection, "SET GLOBAL rpl_semi_sync_master_enabled = OFF");
                        }
                        return null;
                    }
                    if (!"AFTER_SYNC".equals(stringValue(connection, "SELECT @@rpl_semi_sync_master_wait_point"))) {
                        execute(connection, "SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC");
                    }
                    if (!Long.toString(SEMI_SYNC_TIMEOUT_MILLIS).equals(stringValue(connection,
                            "SELECT @@rpl_semi_sync_master_timeout"))) {
                        execute(connection, "SET GLOBAL rpl_semi_sync_master_timeout = " + SEMI_SYNC_TIMEOUT_MILLIS);
                    }
                    if (!enabled) {
                        execute(connection, "SET GLOBAL rpl_semi_sync_master_enabled = ON");
                    }
                    return null;
                });
    }

    /**
     * Before a node replicates: it acknowledges what it receives (so a semi-synchronous leader can
     * count it; harmless when the leader is asynchronous), and waits for no acknowledgement itself - a
     * follower with the leader's side on would hang at shutdown for the whole timeout (measured).
     */
    private static void replicaSideOnly(Connection connection) throws SQLException {
        if (!"0".equals(stringValue(connection, "SELECT @@rpl_semi_sync_master_enabled"))) {
            execute(connection, "SET GLOBAL rpl_semi_sync_master_enabled = OFF");
        }
        if ("0".equals(stringValue(connection, "SELECT @@rpl_semi_sync_slave_enabled"))) {
            execute(connection, "SET GLOBAL rpl_semi_sync_slave_enabled = ON");
        }
    }

    private static void changeMaster(Connection connection, NodeTarget leader, ReplicationLogin login)
            throws SQLException {
        execute(connection, "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'"); // quote() doubles quotes only
        try {
            execute(connection, "CHANGE MASTER TO MASTER_HOST = " + quote(leader.host()) + ", MASTER_PORT = "
                    + leader.port() + (login == null ? "" : ", MASTER_USER = " + quote(login.user())
                            + ", MASTER_PASSWORD = " + quote(login.password())) + ", MASTER_USE_GTID = slave_pos, "
                    // a leader with nothing to send still sends a heartbeat twice a second: the follower's probe
                    // shows it heard from its leader (the follower-witness rule), and reconnects are quick
                    + "MASTER_HEARTBEAT_PERIOD = " + HEARTBEAT_PERIOD_SECONDS + ", MASTER_CONNECT_RETRY = 1");
        } catch (SQLException e) {
            // a server message may quote the statement: never let the password reach a log or an operation record
            String message = e.getMessage() == null ? "" : e.getMessage();
            throw new SQLException(login == null || login.password().isEmpty() ? message
                    : message.replace(login.password(), "***"), e.getSQLState(), e.getErrorCode());
        }
    }

    private static boolean followsAndRuns(Map<String, String> status, NodeTarget leader) {
        return leader.host().equals(status.get("Master_Host"))
                && Integer.toString(leader.port()).equals(status.get("Master_Port"))
                && "Yes".equals(status.get("Slave_IO_Running")) && "Yes".equals(status.get("Slave_SQL_Running"));
    }

    /**
     * Waits for the IO thread to connect; fails with the server's words when it stops for good (error
     * 1236: the leader's binlog does not hold where this node would continue). Still connecting at the
     * deadline is no failure: the probe shows how it goes on.
     */
    private static void awaitReceiving(Connection connection, long deadline, NodeTarget node, NodeTarget leader)
            throws SQLException {
        while (System.nanoTime() < deadline) {
            Map<String, String> status = slaveStatus(connection);
            if (status == null || "Yes".equals(status.get("Slave_IO_Running"))) {
                return;
            }
            if ("No".equals(status.get("Slave_IO_Running")) && !"0".equals(status.get("Last_IO_Errno"))) {
                throw new SQLException(node + " cannot replicate from " + leader.name() + ": "
                        + status.get("Last_IO_Error"));
            }
            pause(node);
        }
    }

    private static void pause(NodeTarget node) throws SQLException {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while acting on " + node, e);
        }
    }

    /** The first replication connection's {@code SHOW SLAVE STATUS} row, by column label; null when none. */
    private static Map<String, String> slaveStatus(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery("SHOW SLAVE STATUS")) {
            if (!rs.next()) {
                return null;
            }
            Map<String, String> row = new HashMap<>();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                row.put(rs.getMetaData().getColumnLabel(i), rs.getString(i));
            }
            return row;
        }
    }

    private static String stringValue(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            String value = rs.getString(1);
            return value == null ? "" : value;
        }
    }

    /** A string literal for a session in NO_BACKSLASH_ESCAPES mode. */
    private static String quote(String value) {
        return "'" + value.replace("'", "''") + "'";
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
            pause(node);
        }
    }

    private interface Work<T> {
        T run(Connection connection, long deadlineNanos) throws SQLException;
    }

    private static <T> T withConnection(NodeTarget node, Deadline until, String action, Work<T> work) {
        long deadline = until.nanos();
        Duration timeout = until.remaining();
        if (timeout.isZero()) {
            throw new EngineActionException(action + " " + node + ": not started, its deadline has passed (the caller "
                    + "may no longer own the right to act)");
        }
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
