package io.regent.engines.postgres;

import io.regent.engines.Deadline;
import io.regent.engines.EngineAdapter;
import io.regent.engines.NodeTarget;
import io.regent.engines.ProbeSessions;
import io.regent.engines.Observer;
import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
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
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * PostgreSQL streaming replication. A probe is one network round trip on a reused connection
 * (three statements in one batch), plus a heartbeat on a writable leader and, when a standby has
 * connected since the last probe, one lookup of its name, all within the caller's timeout; a
 * frozen server yields TIMEOUT and never a stuck caller, and a slow one keeps its session
 * ({@link ProbeSessions}).
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
                   last_msg_receipt_time, latest_end_time, slot_name,
                   greatest(0, (extract(epoch FROM clock_timestamp() - last_msg_receipt_time) * 1000)::bigint)
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
                   (extract(epoch FROM replay_lag) * 1000)::bigint, reply_time,
                   greatest(0, (extract(epoch FROM clock_timestamp() - reply_time) * 1000)::bigint)
            FROM pg_stat_get_wal_senders()""";

    /** Name and address of WAL sender processes not seen before (they keep both for their lifetime). */
    private static final String NAMES_SQL = """
            SELECT pid, application_name, host(client_addr) FROM pg_stat_get_activity(NULL) WHERE pid = ANY (?)""";

    /** DESIGN.md: a tiny WAL record per probe keeps followers' receivers and time lag honest on idle leaders. */
    private static final String HEARTBEAT_SQL = "SELECT pg_logical_emit_message(false, 'regent', ?)";

    private final Observer observer;
    private final String applicationName;
    private final boolean heartbeat;
    private final PostgresActions actions;
    private final ProbeSessions sessions = new ProbeSessions("regent-pg", this::open);
    /** Per node: WAL sender pid -> its standby's name and address, pruned to the senders of the last probe. */
    private final Map<String, Map<Integer, SenderName>> senderNames = new ConcurrentHashMap<>();

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
        return sessions.observe(node, timeout, observer, engine(),
                (connection, started, startNanos, deadline) -> probeOn(connection, node, started, startNanos, deadline));
    }

    private NodeObserved probeOn(Connection connection, NodeTarget node, Instant started, long startNanos,
            long deadline) throws SQLException {
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
                            instant(rs.getTimestamp(7)), rs.getString(8), longOrNull(rs, 9));
                }
            }
            List<SenderRow> senders = new ArrayList<>();
            statement.getMoreResults();
            try (ResultSet rs = statement.getResultSet()) {
                while (rs.next()) {
                    senders.add(new SenderRow(rs.getInt(1), rs.getString(2), rs.getString(3), intOrNull(rs, 4),
                            longOrNull(rs, 5), longOrNull(rs, 6), longOrNull(rs, 7), longOrNull(rs, 8),
                            longOrNull(rs, 9), longOrNull(rs, 10), longOrNull(rs, 11), longOrNull(rs, 12),
                            instant(rs.getTimestamp(13)), longOrNull(rs, 14)));
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
                    ProbeSessions.elapsedMillis(startNanos), engine(), true, null, inRecovery ? NodeRole.FOLLOWER : NodeRole.LEADER,
                    inRecovery || defaultReadOnly, timeline, current, received, replayed, lagBytes, lagMillis,
                    receiver, replicas, syncNames, version, null, null, null, null);
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
                    row.writeLagMillis(), row.flushLagMillis(), row.replayLagMillis(), row.replyAt(),
                    row.replyAgeMillis()));
        }
        replicas.sort(java.util.Comparator.comparing(ReplicaState::name,
                java.util.Comparator.nullsLast(java.util.Comparator.naturalOrder())));
        return replicas;
    }

    private record SenderRow(int pid, String state, String syncState, Integer syncPriority, Long sentLsn,
            Long writeLsn, Long flushLsn, Long replayLsn, Long lagBytes, Long writeLagMillis, Long flushLagMillis,
            Long replayLagMillis, Instant replyAt, Long replyAgeMillis) {
    }

    private record SenderName(String applicationName, String clientAddress) {
        static final SenderName UNKNOWN = new SenderName(null, null); // the sender exited between the two statements
    }

    /**
     * A session for {@link ProbeSessions}: its connect and reads give up after {@code stalledAfter},
     * not at the probe's deadline (see there why). No pgjdbc login timeout, which would start one
     * more thread per attempt: the connect and socket timeouts bound the login.
     */
    private Connection open(NodeTarget node, Duration stalledAfter, Duration statementTimeout) throws SQLException {
        Properties props = new Properties();
        // a slow server cancels the probe itself and says so (57014: SLOW, alive); a frozen one says nothing
        props.setProperty("options", "-c statement_timeout=" + statementTimeout.toMillis());
        props.setProperty("user", node.username());
        props.setProperty("password", node.password() == null ? "" : node.password());
        props.setProperty("connectTimeout", Long.toString(stalledAfter.toSeconds()));
        props.setProperty("socketTimeout", Long.toString(stalledAfter.toSeconds()));
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("ApplicationName", applicationName);
        return DriverManager.getConnection("jdbc:postgresql://" + node.host() + ":" + node.port() + "/"
                + node.database(), props);
    }

    @Override
    public void promote(NodeTarget node, Deadline deadline) {
        actions.promote(node, deadline);
    }

    @Override
    public void follow(NodeTarget node, NodeTarget leader, Deadline deadline) {
        actions.follow(node, leader, deadline);
    }

    @Override
    public void fence(NodeTarget node, Deadline deadline) {
        actions.fence(node, deadline);
    }

    @Override
    public void unfence(NodeTarget leader, List<String> standbys, int k, Deadline deadline) {
        actions.unfence(leader, standbys, k, deadline);
    }

    @Override
    public void configureSynchronous(NodeTarget leader, List<String> standbys, int k, Deadline deadline) {
        actions.configureSynchronous(leader, standbys, k, deadline);
    }

    @Override
    public long writeBarrier(NodeTarget leader, Deadline deadline) {
        return actions.writeBarrier(leader, deadline);
    }

    @Override
    public void awaitReplayed(NodeTarget follower, long position, Deadline deadline) {
        actions.awaitReplayed(follower, position, deadline);
    }

    @Override
    public OptionalLong detach(NodeTarget follower, NodeTarget leader, NodeTarget candidate, Deadline deadline) {
        return OptionalLong.of(actions.detach(follower, leader, candidate, deadline));
    }

    @Override
    public void awaitReceived(NodeTarget node, long position, Deadline deadline) {
        actions.awaitReceived(node, position, deadline);
    }

    @Override
    public void forget(NodeTarget node) {
        sessions.forget(node);
        senderNames.remove(node.key());
    }

    /** Connections kept for reuse (for tests and metrics). */
    public int idleConnections() {
        return sessions.idle();
    }

    @Override
    public void close() {
        sessions.close();
        senderNames.clear();
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

}
