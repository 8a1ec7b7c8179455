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
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * PostgreSQL streaming replication. A probe is one network round trip on a reused connection
 * (three statements in one batch), plus a heartbeat on a writable leader and, when a standby has
 * connected since the last probe, one lookup of its name, all within the caller's
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

    /**
     * The standbys as this node's WAL senders see them. Not {@code pg_stat_replication}: that view
     * joins {@code pg_stat_get_activity(NULL)}, which copies every backend's status slot on each call
     * - about 2 ms of server CPU at max_connections = 2,300 and worse under concurrency (measured:
     * 180 calls/s with 400 busy sessions against 13,500/s for the function below). The standbys'
     * names, which only that join has, are looked up once per WAL sender process ({@link #NAMES_SQL}).
     */
    private static final String REPLICAS_SQL = """
            SELECT pid, state, sync_state, sync_priority,
                   sent_lsn - '0/0'::pg_lsn, write_lsn - '0/0'::pg_lsn, flush_lsn - '0/0'::pg_lsn,
                   replay_lsn - '0/0'::pg_lsn,
                   CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() - replay_lsn END,
                   (extract(epoch FROM write_lag) * 1000)::bigint, (extract(epoch FROM flush_lag) * 1000)::bigint,
                   (extract(epoch FROM replay_lag) * 1000)::bigint, reply_time
            FROM pg_stat_get_wal_senders()""";

    /** Name and address of WAL sender processes not seen before (they keep both for their lifetime). */
    private static final String NAMES_SQL = """
            SELECT pid, application_name, host(client_addr) FROM pg_stat_get_activity(NULL) WHERE pid = ANY (?)""";

    private static final Duration STALLED_MIN = Duration.ofSeconds(10);
    private static final int CONCURRENT_LOGINS = 32;

    /** DESIGN.md: a tiny WAL record per probe keeps followers' receivers and time lag honest on idle leaders. */
    private static final String HEARTBEAT_SQL = "SELECT pg_logical_emit_message(false, 'regent', ?)";

    private volatile boolean closed;
    private final Observer observer;
    private final String applicationName;
    private final boolean heartbeat;
    private final PostgresActions actions;
    private final Map<String, Connection> idle = new ConcurrentHashMap<>();
    /** Per node: WAL sender pid -> its standby's name and address, pruned to the senders of the last probe. */
    private final Map<String, Map<Integer, SenderName>> senderNames = new ConcurrentHashMap<>();
    /** Per node: a probe's statements or connection attempt that outlived the probe's deadline. */
    private final Map<String, CompletableFuture<?>> inFlight = new ConcurrentHashMap<>();
    /** Logins at once: a server's logins are serial in its postmaster anyway, and each waiting one is a thread. */
    private final ExecutorService connector = boundedDaemonPool("regent-pg-connect", CONCURRENT_LOGINS);
    private final ExecutorService io = daemonPool("regent-pg-io");

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
        try {
            awaitPrevious(node, deadline);
            Connection kept = idle.remove(node.key()); // exclusive while in use
            if (kept != null) {
                try {
                    return run(node, kept, started, startNanos, deadline);
                } catch (ExecutionException e) {
                    // a broken kept connection proves nothing: ask the server afresh
                }
            }
            Connection fresh = connect(node, startNanos, deadline);
            try {
                return run(node, fresh, started, startNanos, deadline);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
                return unreachable(node, started, startNanos, ProbeErrors.classify(cause));
            }
        } catch (SQLException | TimeoutException | RuntimeException e) {
            return unreachable(node, started, startNanos, ProbeErrors.classify(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unreachable(node, started, startNanos, ProbeErrors.classify(e));
        }
    }

    /**
     * Runs the probe's statements on an I/O thread and waits for them until the deadline. A server
     * that answers late keeps its session: the statements finish in the background and hand the
     * connection back, and the next probe of the node waits for that instead of opening a second
     * session. Closing it instead would make an overloaded server pay a new login (a process start
     * and a SCRAM exchange) for every late answer - load begets load. A server that does not answer
     * at all loses the session after {@link #stalledAfterMillis}.
     */
    private NodeObserved run(NodeTarget node, Connection connection, Instant started, long startNanos,
            long deadline) throws ExecutionException, TimeoutException, InterruptedException {
        CompletableFuture<NodeObserved> work = CompletableFuture.supplyAsync(() -> {
            try {
                NodeObserved result = probeOn(connection, node, started, startNanos, deadline);
                release(node, connection); // before completing, so that whoever waits on this finds it idle
                return result;
            } catch (SQLException | RuntimeException e) {
                closeQuietly(connection);
                throw new CompletionException(e);
            }
        }, io);
        try {
            return work.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            inFlight.put(node.key(), work);
            throw e;
        }
    }

    /** Waits, within this probe's deadline, for a previous probe's statements or connection attempt still running. */
    private void awaitPrevious(NodeTarget node, long deadline) throws TimeoutException, InterruptedException {
        CompletableFuture<?> previous = inFlight.get(node.key());
        if (previous == null) {
            return;
        }
        try {
            previous.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            // it failed and dropped its connection: this probe starts afresh
        }
        inFlight.remove(node.key(), previous);
    }

    private NodeObserved probeOn(Connection connection, NodeTarget node, Instant started, long startNanos,
            long deadline) throws SQLException {
        // the waiting probe enforces the deadline; the session itself is only given up when the server stalls
        connection.setNetworkTimeout(Runnable::run, stalledAfterMillis(deadline - startNanos));
        NodeObserved result = query(connection, node, started, startNanos);
        if (heartbeat && result.role() == NodeRole.LEADER && !Boolean.TRUE.equals(result.readOnly())
                && System.nanoTime() < deadline) {
            try (PreparedStatement beat = connection.prepareStatement(HEARTBEAT_SQL)) {
                beat.setString(1, started.toString());
                beat.execute();
            }
        }
        return result;
    }

    /** How long a session may stay silent before it is taken for dead: ten probe timeouts, at least 10 s. */
    private static int stalledAfterMillis(long timeoutNanos) {
        long tenTimeouts = TimeUnit.NANOSECONDS.toMillis(timeoutNanos) * 10;
        return (int) Math.min(Integer.MAX_VALUE, Math.max(STALLED_MIN.toMillis(), tenTimeouts));
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
            List<SenderRow> senders = new ArrayList<>();
            statement.getMoreResults();
            try (ResultSet rs = statement.getResultSet()) {
                while (rs.next()) {
                    senders.add(new SenderRow(rs.getInt(1), rs.getString(2), rs.getString(3), intOrNull(rs, 4),
                            longOrNull(rs, 5), longOrNull(rs, 6), longOrNull(rs, 7), longOrNull(rs, 8),
                            longOrNull(rs, 9), longOrNull(rs, 10), longOrNull(rs, 11), longOrNull(rs, 12),
                            instant(rs.getTimestamp(13))));
                }
            }
            List<ReplicaState> replicas = replicas(connection, node, senders);
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

    /** The senders as {@link ReplicaState}s in name order, naming senders not seen before in one more statement. */
    private List<ReplicaState> replicas(Connection connection, NodeTarget node, List<SenderRow> senders)
            throws SQLException {
        Map<Integer, SenderName> names = senderNames.computeIfAbsent(node.key(), key -> new ConcurrentHashMap<>());
        names.keySet().retainAll(senders.stream().map(SenderRow::pid).toList());
        Integer[] unknown = senders.stream().map(SenderRow::pid).filter(pid -> !names.containsKey(pid))
                .toArray(Integer[]::new);
        if (unknown.length > 0) {
            try (PreparedStatement lookup = connection.prepareStatement(NAMES_SQL)) {
                lookup.setArray(1, connection.createArrayOf("int4", unknown));
                try (ResultSet rs = lookup.executeQuery()) {
                    while (rs.next()) {
                        names.put(rs.getInt(1), new SenderName(rs.getString(2), rs.getString(3)));
                    }
                }
            }
        }
        List<ReplicaState> replicas = new ArrayList<>(senders.size());
        for (SenderRow row : senders) {
            SenderName name = names.getOrDefault(row.pid(), SenderName.UNKNOWN);
            replicas.add(new ReplicaState(name.applicationName(), name.clientAddress(), row.state(), row.syncState(),
                    row.syncPriority(), row.sentLsn(), row.writeLsn(), row.flushLsn(), row.replayLsn(), row.lagBytes(),
                    row.writeLagMillis(), row.flushLagMillis(), row.replayLagMillis(), row.replyAt()));
        }
        replicas.sort(java.util.Comparator.comparing(ReplicaState::name,
                java.util.Comparator.nullsLast(java.util.Comparator.naturalOrder())));
        return replicas;
    }

    private record SenderRow(int pid, String state, String syncState, Integer syncPriority, Long sentLsn,
            Long writeLsn, Long flushLsn, Long replayLsn, Long lagBytes, Long writeLagMillis, Long flushLagMillis,
            Long replayLagMillis, Instant replyAt) {
    }

    private record SenderName(String applicationName, String clientAddress) {
        static final SenderName UNKNOWN = new SenderName(null, null); // the sender exited between the two statements
    }

    /**
     * Opens a session on a connector thread and waits for it until the probe's deadline. The login
     * itself may take longer (up to the stall limit): on a server busy with hundreds of logins at
     * once, a login abandoned at the probe's deadline would be a process start wasted, and every
     * retry would queue behind the others - it never catches up. No pgjdbc login timeout, which
     * would start one more thread per attempt: the connect and socket timeouts bound it.
     */
    private Connection connect(NodeTarget node, long startNanos, long deadline) throws SQLException,
            TimeoutException, InterruptedException {
        Properties props = new Properties();
        props.setProperty("user", node.username());
        props.setProperty("password", node.password() == null ? "" : node.password());
        int seconds = (int) TimeUnit.MILLISECONDS.toSeconds(stalledAfterMillis(deadline - startNanos));
        props.setProperty("connectTimeout", Integer.toString(seconds));
        props.setProperty("socketTimeout", Integer.toString(seconds));
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("ApplicationName", applicationName);
        String url = "jdbc:postgresql://" + node.host() + ":" + node.port() + "/" + node.database();
        CompletableFuture<Connection> connecting = CompletableFuture.supplyAsync(() -> {
            try {
                return DriverManager.getConnection(url, props);
            } catch (SQLException e) {
                throw new CompletionException(e);
            }
        }, connector);
        try {
            return connecting.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // the probe gives up waiting, not the login: a session that arrives late is kept for the next
            // probe (closing it would make an overloaded server pay the login again), and the next probe
            // waits for it rather than starting a second one
            inFlight.put(node.key(), connecting.thenAccept(late -> release(node, late)));
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
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
        senderNames.remove(node.key());
        CompletableFuture<?> late = inFlight.remove(node.key());
        if (late != null) {
            late.whenComplete((result, error) -> closeQuietly(idle.remove(node.key()))); // it hands its session back
        }
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
        senderNames.clear();
        connector.shutdownNow();
        io.shutdownNow();
    }

    private static ExecutorService boundedDaemonPool(String name, int threads) {
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(threads, threads,
                30, TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, name);
                    thread.setDaemon(true);
                    return thread;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static ExecutorService daemonPool(String name) {
        return Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
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
