package io.regent.engines.mariadb;

import io.regent.engines.Deadline;
import io.regent.engines.EngineAdapter;
import io.regent.engines.NodeTarget;
import io.regent.engines.Observer;
import io.regent.engines.ProbeSessions;
import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.SemiSyncState;
import io.regent.events.WalReceiverState;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MariaDB GTID replication. A probe is one round trip on a kept session: the server's variables,
 * its semi-synchronous status counters and {@code SHOW ALL SLAVES STATUS} (there is no table to
 * select replication state from), plus a heartbeat row on a writable leader. Positions are GTID
 * sequence numbers of the cluster's replication domain (0): they order like LSNs but count
 * transactions, so {@code lagBytes} is the number of received transactions not applied yet. The
 * full GTID sets (executed, received) go along: they order nodes where one number cannot. Facts behind it:
 * {@code docs/research/mariadb-replication.md}.
 */
public final class MariaDbAdapter implements EngineAdapter {

    /** The replication domain positions are read in: the testkit's and a default installation's. */
    static final long DOMAIN = 0;

    private static final String PROBE_SQL = """
            SELECT @@version, @@read_only, @@gtid_binlog_pos, @@gtid_slave_pos, @@gtid_binlog_state,
                   @@rpl_semi_sync_master_enabled, @@rpl_semi_sync_slave_enabled;
            SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_status',
                   'Rpl_semi_sync_master_clients', 'Rpl_semi_sync_master_no_tx', 'Rpl_semi_sync_slave_status');
            SHOW ALL SLAVES STATUS""";

    /**
     * Through the monitoring user, which has no READ_ONLY ADMIN: on a node fenced in between it
     * fails (1290) rather than writing an errant transaction.
     */
    private static final String HEARTBEAT_SQL = "INSERT INTO regent.heartbeat (id, ts, writer) VALUES (1, NOW(6), "
            + "@@server_id) ON DUPLICATE KEY UPDATE ts = NOW(6), writer = @@server_id";
    private static final int READ_ONLY_ERROR = 1290;

    private final Observer observer;
    private final boolean heartbeat;
    private final ProbeSessions sessions = new ProbeSessions("regent-mariadb", MariaDbAdapter::open);
    private final Map<String, Heard> heard = new ConcurrentHashMap<>();
    private final MariaDbActions actions;

    /** @param heartbeat write a heartbeat row (table {@code regent.heartbeat}) when probing a writable leader */
    public MariaDbAdapter(Observer observer, boolean heartbeat) {
        this(observer, heartbeat, null);
    }

    /** @param replicationLogin what a rejoined leader replicates as; null: only nodes that kept theirs rejoin */
    public MariaDbAdapter(Observer observer, boolean heartbeat, ReplicationLogin replicationLogin) {
        this.observer = observer;
        this.heartbeat = heartbeat;
        this.actions = new MariaDbActions(replicationLogin);
    }

    @Override
    public Engine engine() {
        return Engine.MARIADB;
    }

    @Override
    public NodeObserved probe(NodeTarget node, Duration timeout) {
        return sessions.observe(node, timeout, observer, engine(),
                (connection, started, startNanos, deadline) -> probeOn(connection, node, started, startNanos));
    }

    private NodeObserved probeOn(Connection connection, NodeTarget node, Instant started, long startNanos)
            throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(PROBE_SQL);
            String version;
            boolean readOnly;
            GtidPosition binlog;
            GtidPosition applied;
            String executed;
            boolean leaderSemiSync;
            boolean followerSemiSync;
            try (ResultSet rs = statement.getResultSet()) {
                rs.next();
                version = rs.getString(1);
                readOnly = rs.getInt(2) != 0;
                binlog = GtidPosition.parse(rs.getString(3));
                applied = GtidPosition.parse(rs.getString(4));
                // the binlog state alone misses applied transactions on a replica without log_slave_updates
                executed = GtidPosition.union(rs.getString(5), rs.getString(4));
                leaderSemiSync = rs.getInt(6) != 0;
                followerSemiSync = rs.getInt(7) != 0;
            }
            Map<String, String> status = new HashMap<>();
            statement.getMoreResults();
            try (ResultSet rs = statement.getResultSet()) {
                while (rs.next()) {
                    status.put(rs.getString(1).toLowerCase(Locale.ROOT), rs.getString(2));
                }
            }
            Long clients = number(status.get("rpl_semi_sync_master_clients"));
            SemiSyncState semiSync = new SemiSyncState(leaderSemiSync,
                    "ON".equalsIgnoreCase(status.get("rpl_semi_sync_master_status")),
                    clients == null ? null : clients.intValue(), number(status.get("rpl_semi_sync_master_no_tx")),
                    followerSemiSync, "ON".equalsIgnoreCase(status.get("rpl_semi_sync_slave_status")));
            ReplicaThreads replica = null;
            statement.getMoreResults();
            try (ResultSet rs = statement.getResultSet()) {
                while (rs.next()) {
                    if (replica == null && rs.getString("Master_Host") != null && !rs.getString("Master_Host").isEmpty()) {
                        long behind = rs.getLong("Seconds_Behind_Master");
                        Long secondsBehind = rs.wasNull() ? null : behind; // NULL while the SQL thread is stopped
                        // anything read from the leader - events or heartbeats - moves one of these
                        String fromLeader = rs.getString("Master_Log_File") + ":" + rs.getString("Read_Master_Log_Pos")
                                + "/" + rs.getString("Slave_received_heartbeats");
                        replica = new ReplicaThreads(rs.getString("Slave_IO_Running"), rs.getString("Slave_SQL_Running"),
                                rs.getString("Master_Host"), rs.getInt("Master_Port"), rs.getString("Gtid_IO_Pos"),
                                secondsBehind, rs.getString("Connection_name"), lastHeard(node, fromLeader, started));
                    }
                }
            }
            if (replica == null && !readOnly && heartbeat) {
                beat(statement);
            }
            return observation(node, started, startNanos, version, readOnly, binlog, applied, replica, executed,
                    semiSync);
        }
    }

    /**
     * When the follower last read anything from its leader, as far as this adapter's probes tell:
     * MariaDB keeps no such time, so it is the start of the first probe that saw the IO thread's
     * read position or heartbeat count move - later than the real moment by up to one probe
     * interval, which errs towards "the leader is alive". Null until a move has been seen.
     */
    private Instant lastHeard(NodeTarget node, String fromLeader, Instant probeStarted) {
        Heard previous = heard.get(node.key());
        Heard now = previous == null ? new Heard(fromLeader, null)
                : previous.fromLeader().equals(fromLeader) ? previous : new Heard(fromLeader, probeStarted);
        heard.put(node.key(), now);
        return now.at();
    }

    private record Heard(String fromLeader, Instant at) {
    }

    private static Long number(String value) {
        try {
            return value == null ? null : Long.valueOf(value.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static void beat(Statement statement) throws SQLException {
        try {
            statement.execute(HEARTBEAT_SQL);
        } catch (SQLException e) {
            if (e.getErrorCode() != READ_ONLY_ERROR) {
                throw e;
            } // fenced since the read above: the next probe reports it read-only
        }
    }

    private NodeObserved observation(NodeTarget node, Instant started, long startNanos, String version,
            boolean readOnly, GtidPosition binlog, GtidPosition applied, ReplicaThreads replica, String executed,
            SemiSyncState semiSync) {
        if (replica == null) {
            return new NodeObserved(node.clusterId(), node.name(), observer.id(), observer.zone(), started,
                    ProbeSessions.elapsedMillis(startNanos), engine(), true, null, NodeRole.LEADER, readOnly, null,
                    binlog.sequence(DOMAIN), null, null, null, null, null, List.of(), null, version, executed, null,
                    semiSync, null);
        }
        long received = Math.max(GtidPosition.parse(replica.receivedText()).sequence(DOMAIN), applied.sequence(DOMAIN));
        long replayed = applied.sequence(DOMAIN);
        Long lagMillis = received == replayed ? Long.valueOf(0)
                : replica.secondsBehind() == null ? null : replica.secondsBehind() * 1000;
        WalReceiverState receiver = new WalReceiverState(replica.status(), replica.host(), replica.port(), null,
                received, replica.lastHeard(), null, replica.connectionName(),
                // both instants on this agent's clock: the age is a duration on one clock
                replica.lastHeard() == null ? null : Math.max(0, Duration.between(replica.lastHeard(), started).toMillis()));
        return new NodeObserved(node.clusterId(), node.name(), observer.id(), observer.zone(), started,
                ProbeSessions.elapsedMillis(startNanos), engine(), true, null, NodeRole.FOLLOWER, true, null, null, received,
                replayed, received - replayed, lagMillis, receiver, List.of(), null, version, executed,
                GtidPosition.union(executed, replica.receivedText()), semiSync, null);
    }

    /** A replica's IO and SQL threads as {@code SHOW ALL SLAVES STATUS} shows them. */
    private record ReplicaThreads(String io, String sql, String host, int port, String receivedText,
            Long secondsBehind, String connectionName, Instant lastHeard) {

        /** In the words of PostgreSQL's WAL receiver: streaming while the IO thread runs. */
        String status() {
            return switch (io == null ? "" : io) {
                case "Yes" -> "streaming";
                case "Connecting" -> "connecting";
                default -> "stopped";
            };
        }
    }

    /** A session for {@link ProbeSessions}: one round trip for the probe's two statements. */
    private static Connection open(NodeTarget node, Duration stalledAfter, Duration statementTimeout)
            throws SQLException {
        Properties props = new Properties();
        // a slow server cancels the probe itself and says so (error 1969: SLOW, alive); a frozen one says nothing
        props.setProperty("sessionVariables", "max_statement_time=" + statementTimeout.toMillis() / 1000.0);
        props.setProperty("user", node.username());
        props.setProperty("password", node.password() == null ? "" : node.password());
        props.setProperty("connectTimeout", Long.toString(stalledAfter.toMillis()));
        props.setProperty("socketTimeout", Long.toString(stalledAfter.toMillis()));
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("allowMultiQueries", "true");
        return DriverManager.getConnection("jdbc:mariadb://" + node.host() + ":" + node.port() + "/", props);
    }

    @Override
    public void promote(NodeTarget node, Deadline deadline) {
        actions.promote(node, deadline);
    }

    @Override
    public void fence(NodeTarget node, Deadline deadline) {
        actions.fence(node, deadline);
    }

    @Override
    public void follow(NodeTarget node, NodeTarget leader, Deadline deadline) {
        actions.follow(node, leader, deadline);
    }

    @Override
    public long writeBarrier(NodeTarget leader, Deadline deadline) {
        return actions.writeBarrier(leader, deadline);
    }

    @Override
    public void awaitReplayed(NodeTarget follower, long position, Deadline deadline) {
        actions.awaitReplayed(follower, position, deadline);
    }

    /**
     * A fenced MariaDB leader (read-only, its client sessions ended) writes nothing in the background as
     * PostgreSQL does: no follower gets ahead of the candidate.
     */
    @Override
    public OptionalLong detach(NodeTarget follower, NodeTarget leader, NodeTarget candidate, Deadline deadline) {
        return OptionalLong.empty();
    }

    @Override
    public void awaitReceived(NodeTarget node, long position, Deadline deadline) {
        throw new UnsupportedOperationException("MariaDB detaches no follower in a switchover, so no received "
                + "position is waited for");
    }

    @Override
    public void unfence(NodeTarget leader, List<String> standbys, int k, Deadline deadline) {
        actions.unfence(leader, k, deadline);
    }

    @Override
    public void configureSynchronous(NodeTarget leader, List<String> standbys, int k, Deadline deadline) {
        actions.configureSynchronous(leader, k, deadline);
    }

    /** Over SQL from the control plane: MariaDB needs no files of the node, so no node agent. */
    @Override
    public void rejoin(NodeTarget node, NodeTarget leader, Deadline deadline) {
        actions.rejoin(node, leader, deadline);
    }

    @Override
    public void forget(NodeTarget node) {
        sessions.forget(node);
        heard.remove(node.key());
    }

    @Override
    public void close() {
        sessions.close();
    }


}
