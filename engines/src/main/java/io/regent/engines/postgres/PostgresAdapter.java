package io.regent.engines.postgres;

import io.regent.engines.EngineAdapter;
import io.regent.engines.NodeTarget;
import io.regent.engines.ProbeErrors;
import io.regent.engines.Observer;
import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.ProbeError;
import io.regent.events.ProbeErrorKind;
import io.regent.events.ReplicaState;
import io.regent.events.WalReceiverState;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * PostgreSQL streaming replication. A probe is one network round trip on a reused connection
 * (three statements in one batch), plus a heartbeat on a writable leader, all within the caller's
 * timeout: connecting is bounded by waiting on a helper thread, statements by the socket's network
 * timeout, so a frozen server yields TIMEOUT and never a stuck caller.
 */
public final class PostgresAdapter implements EngineAdapter {

    /** Role, positions and settings; the same columns on a leader and a follower. */
    private static final String NODE_SQL = """
            SELECT pg_is_in_recovery(),
                   current_setting('server_version'),
                   current_setting('default_transaction_read_only'),
                   CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() - '0/0'::pg_lsn END,
                   CASE WHEN pg_is_in_recovery() THEN NULL ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END,
                   pg_last_wal_receive_lsn() - '0/0'::pg_lsn,
                   pg_last_wal_replay_lsn() - '0/0'::pg_lsn,
                   CASE WHEN NOT pg_is_in_recovery() THEN NULL
                        WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
                        ELSE greatest(0, (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())
                                          * 1000)::bigint) END,
                   (SELECT timeline_id FROM pg_control_checkpoint()),
                   current_setting('synchronous_standby_names')""";

    private static final String RECEIVER_SQL = """
            SELECT status, sender_host, sender_port, received_tli, latest_end_lsn - '0/0'::pg_lsn,
                   last_msg_receipt_time, latest_end_time, slot_name
            FROM pg_stat_wal_receiver""";

    private static final String REPLICAS_SQL = """
            SELECT application_name, host(client_addr), state, sync_state, sync_priority,
                   sent_lsn - '0/0'::pg_lsn, write_lsn - '0/0'::pg_lsn, flush_lsn - '0/0'::pg_lsn,
                   replay_lsn - '0/0'::pg_lsn,
                   CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() - replay_lsn END,
                   (extract(epoch FROM write_lag) * 1000)::bigint, (extract(epoch FROM flush_lag) * 1000)::bigint,
                   (extract(epoch FROM replay_lag) * 1000)::bigint, reply_time
            FROM pg_stat_replication ORDER BY application_name""";

    /** DESIGN.md: a tiny WAL record per probe keeps followers' receivers and time lag honest on idle leaders. */
    private static final String HEARTBEAT_SQL = "SELECT pg_logical_emit_message(false, 'regent', ?)";

    private volatile boolean closed;
    private final Observer observer;
    private final String applicationName;
    private final boolean heartbeat;
    private final PostgresActions actions;
    private final Map<String, Connection> idle = new ConcurrentHashMap<>();
    private final ExecutorService connector = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "regent-pg-connect");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * @param observer  stamped on every observation; its id names the sessions in {@code pg_stat_activity}
     *                  ({@code regent-agent-<id>})
     * @param heartbeat emit a heartbeat WAL record when probing a writable leader
     */
    public PostgresAdapter(Observer observer, boolean heartbeat) {
        this.observer = observer;
        this.applicationName = "regent-agent-" + observer.id();
        this.heartbeat = heartbeat;
        this.actions = new PostgresActions(applicationName);
    }

    @Override
    public Engine engine() {
        return Engine.POSTGRESQL;
    }

    @Override
    public NodeObserved probe(NodeTarget node, Duration timeout) {
        Instant started = Instant.now();
        long startNanos = System.nanoTime();
        long deadline = startNanos + timeout.toNanos();
        Connection connection = idle.remove(node.key()); // exclusive while in use
        if (connection != null) {
            try {
                return probeOn(connection, node, started, startNanos, deadline);
            } catch (SQLException | RuntimeException e) {
                closeQuietly(connection);
                if (ProbeErrors.classify(e).kind() == ProbeErrorKind.TIMEOUT) {
                    return unreachable(node, started, startNanos, ProbeErrors.classify(e));
                }
                connection = null; // a broken kept connection proves nothing: ask the server afresh
            } catch (TimeoutException e) {
                closeQuietly(connection);
                return unreachable(node, started, startNanos, ProbeErrors.classify(e));
            }
        }
        try {
            connection = connect(node, deadline);
            return probeOn(connection, node, started, startNanos, deadline);
        } catch (SQLException | TimeoutException | RuntimeException e) {
            closeQuietly(connection);
            return unreachable(node, started, startNanos, ProbeErrors.classify(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(connection);
            return unreachable(node, started, startNanos, ProbeErrors.classify(e));
        }
    }

    private NodeObserved probeOn(Connection connection, NodeTarget node, Instant started, long startNanos,
            long deadline) throws SQLException, TimeoutException {
        connection.setNetworkTimeout(Runnable::run, remainingMillis(deadline));
        NodeObserved result = query(connection, node, started, startNanos);
        if (heartbeat && result.role() == NodeRole.LEADER && !Boolean.TRUE.equals(result.readOnly())) {
            connection.setNetworkTimeout(Runnable::run, remainingMillis(deadline));
            try (PreparedStatement beat = connection.prepareStatement(HEARTBEAT_SQL)) {
                beat.setString(1, started.toString());
                beat.execute();
            }
        }
        release(node, connection);
        return result;
    }

    private NodeObserved query(Connection connection, NodeTarget node, Instant started, long startNanos)
            throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(NODE_SQL + ";\n" + RECEIVER_SQL + ";\n" + REPLICAS_SQL);
            boolean inRecovery;
            String version;
            boolean defaultReadOnly;
            Long current;
            Long leaderTimeline;
            Long received;
            Long replayed;
            Long lagMillis;
            long checkpointTimeline;
            String syncNames;
            try (ResultSet rs = statement.getResultSet()) {
                rs.next();
                inRecovery = rs.getBoolean(1);
                version = rs.getString(2);
                defaultReadOnly = "on".equals(rs.getString(3));
                current = longOrNull(rs, 4);
                String walFile = rs.getString(5);
                leaderTimeline = walFile == null ? null : Long.parseLong(walFile, 16);
                received = longOrNull(rs, 6);
                replayed = longOrNull(rs, 7);
                lagMillis = longOrNull(rs, 8);
                checkpointTimeline = rs.getLong(9);
                syncNames = rs.getString(10);
            }
            WalReceiverState receiver = null;
            statement.getMoreResults();
            try (ResultSet rs = statement.getResultSet()) {
                if (rs.next()) {
                    receiver = new WalReceiverState(rs.getString(1), rs.getString(2), intOrNull(rs, 3),
                            longOrNull(rs, 4), longOrNull(rs, 5), instant(rs.getTimestamp(6)),
                            instant(rs.getTimestamp(7)), rs.getString(8));
                }
            }
            List<ReplicaState> replicas = new ArrayList<>();
            statement.getMoreResults();
            try (ResultSet rs = statement.getResultSet()) {
                while (rs.next()) {
                    replicas.add(new ReplicaState(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            intOrNull(rs, 5), longOrNull(rs, 6), longOrNull(rs, 7), longOrNull(rs, 8),
                            longOrNull(rs, 9), longOrNull(rs, 10), longOrNull(rs, 11), longOrNull(rs, 12),
                            longOrNull(rs, 13), instant(rs.getTimestamp(14))));
                }
            }
            Long timeline = inRecovery
                    ? (receiver != null && receiver.receivedTimeline() != null ? receiver.receivedTimeline()
                            : checkpointTimeline)
                    : leaderTimeline;
            Long lagBytes = inRecovery && received != null && replayed != null ? Math.max(0, received - replayed)
                    : null;
            return new NodeObserved(node.clusterId(), node.name(), observer.id(), observer.zone(), started,
                    elapsedMillis(startNanos), engine(), true, null, inRecovery ? NodeRole.FOLLOWER : NodeRole.LEADER,
                    inRecovery || defaultReadOnly, timeline, current, received, replayed, lagBytes, lagMillis,
                    receiver, replicas, syncNames, version, null);
        }
    }

    private Connection connect(NodeTarget node, long deadline) throws SQLException, TimeoutException,
            InterruptedException {
        Properties props = new Properties();
        props.setProperty("user", node.username());
        props.setProperty("password", node.password() == null ? "" : node.password());
        int seconds = (int) Math.max(1, TimeUnit.MILLISECONDS.toSeconds(remainingMillis(deadline) + 999));
        props.setProperty("connectTimeout", Integer.toString(seconds));
        props.setProperty("loginTimeout", Integer.toString(seconds));
        props.setProperty("socketTimeout", Integer.toString(seconds + 1));
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("ApplicationName", applicationName);
        String url = "jdbc:postgresql://" + node.host() + ":" + node.port() + "/" + node.database();
        AtomicBoolean abandoned = new AtomicBoolean();
        CompletableFuture<Connection> connecting = CompletableFuture.supplyAsync(() -> {
            try {
                return DriverManager.getConnection(url, props);
            } catch (SQLException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, connector);
        connecting.thenAccept(late -> {
            if (abandoned.get()) {
                // the probe gave up waiting, but the server did answer: keep the session for the next
                // probe instead of paying a new login (under load, closing it starts a reconnect spiral)
                release(node, late);
            }
        });
        try {
            return connecting.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            abandoned.set(true);
            if (connecting.isDone() && !connecting.isCompletedExceptionally()) {
                release(node, connecting.getNow(null)); // completed between the timeout and here
            }
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException c ? c.getCause()
                    : e.getCause();
            if (cause instanceof SQLException sql) {
                throw sql;
            }
            throw new SQLException("connecting to " + node + " failed: " + cause, "08001", cause);
        }
    }

    private void release(NodeTarget node, Connection connection) {
        if (closed) {
            closeQuietly(connection);
            return;
        }
        Connection previous = idle.putIfAbsent(node.key(), connection);
        if (previous != null && previous != connection) {
            closeQuietly(connection); // a concurrent probe already returned one
        }
    }

    @Override
    public void promote(NodeTarget node, Duration timeout) {
        actions.promote(node, timeout);
    }

    @Override
    public void follow(NodeTarget node, NodeTarget leader, Duration timeout) {
        actions.follow(node, leader, timeout);
    }

    @Override
    public void fence(NodeTarget node, Duration timeout) {
        actions.fence(node, timeout);
    }

    @Override
    public void configureSynchronous(NodeTarget leader, List<String> standbys, int k, Duration timeout) {
        actions.configureSynchronous(leader, standbys, k, timeout);
    }

    @Override
    public long writeBarrier(NodeTarget leader, Duration timeout) {
        return actions.writeBarrier(leader, timeout);
    }

    @Override
    public void awaitReplayed(NodeTarget follower, long position, Duration timeout) {
        actions.awaitReplayed(follower, position, timeout);
    }

    @Override
    public void forget(NodeTarget node) {
        closeQuietly(idle.remove(node.key()));
    }

    /** Connections kept for reuse (for tests and metrics). */
    public int idleConnections() {
        return idle.size();
    }

    @Override
    public void close() {
        closed = true;
        idle.values().forEach(PostgresAdapter::closeQuietly);
        idle.clear();
        connector.shutdownNow();
    }

    private NodeObserved unreachable(NodeTarget node, Instant started, long startNanos, ProbeError error) {
        return new NodeObserved(node.clusterId(), node.name(), observer.id(), observer.zone(), started,
                elapsedMillis(startNanos), engine(), false, error, NodeRole.UNKNOWN, null, null, null, null, null,
                null, null, null, List.of(), null, null, null);
    }

    private static int remainingMillis(long deadlineNanos) throws TimeoutException {
        long remaining = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (remaining <= 0) {
            throw new TimeoutException("probe deadline passed");
        }
        return (int) Math.min(Integer.MAX_VALUE, remaining);
    }

    private static long elapsedMillis(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    private static Long longOrNull(ResultSet rs, int column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    private static Integer intOrNull(ResultSet rs, int column) throws SQLException {
        int value = rs.getInt(column);
        return rs.wasNull() ? null : value;
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // already broken
            }
        }
    }
}
