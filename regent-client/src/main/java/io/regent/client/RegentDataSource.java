package io.regent.client;

import io.regent.events.NodeRole;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * A {@link DataSource} of one Regent cluster whose connections go to the node the topology names leader
 * now: writes follow a failover or switchover as soon as its topology snapshot arrives. Connections come
 * from pools the application makes with its own pool library ({@code node -> new HikariDataSource(...)},
 * Agroal alike), one per node.
 *
 * <p>When a new epoch arrives, the former leader's pool is closed (connections borrowed from it are cut as
 * the pool can), threads waiting for one of its connections are woken and retried on the new leader, and a
 * connection handed out is always one of the leader of the newest epoch known when it was handed out. While
 * the cluster has no leader (or no topology arrived yet), {@link #getConnection()} waits up to the leader
 * wait, then fails with SQLState {@code 08001}.
 *
 * <p>{@link #readOnly(ReadPolicy)} gives a data source for read-only work on followers within a lag bound.
 */
public final class RegentDataSource extends RoutingDataSource implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RegentDataSource.class.getName());
    /** SQLState: the client could not establish a connection. */
    static final String NO_CONNECTION = "08001";

    /** The leader of an epoch; {@code leader} null when the snapshot names none. */
    private record Route(TopologyChanged topology, TopologyNode leader) {
        long epoch() {
            return topology.epoch();
        }

        boolean sameLeaderAs(Route other) {
            return other != null && other.epoch() == epoch() && Objects.equals(endpoint(), other.endpoint());
        }

        NodePools.Endpoint endpoint() {
            return leader == null ? null : NodePools.Endpoint.of(leader);
        }
    }

    /** A thread inside a pool's getConnection for {@code route}; {@code woken} once we interrupted it. */
    private static final class Waiter {
        final Route route;
        boolean woken;

        Waiter(Route route) {
            this.route = route;
        }
    }

    private final String clusterId;
    private final NodePools pools;
    private final Duration leaderWait;
    private final ReplicationPositions positions;
    private final AutoCloseable subscription;
    private final Object routeLock = new Object();
    private final Map<Thread, Waiter> waiters = new HashMap<>();
    private final AtomicInteger nextFollower = new AtomicInteger();
    private volatile Route route;
    private volatile boolean closed;

    private RegentDataSource(Builder builder) {
        this.clusterId = builder.clusterId;
        this.pools = new NodePools(builder.pools);
        this.leaderWait = builder.leaderWait;
        this.positions = builder.positions;
        this.subscription = builder.topology.subscribe(clusterId, new RegentTopology.Listener() {
            @Override
            public void changed(TopologyChanged topology) {
                onTopology(topology);
            }

            @Override
            public void deleted(String cluster) {
                onDeleted();
            }
        });
    }

    /** Routes connections of {@code clusterId} by {@code topology}; set {@link Builder#pools} before building. */
    public static Builder builder(RegentTopology topology, String clusterId) {
        return new Builder(topology, clusterId);
    }

    public static final class Builder {
        private final RegentTopology topology;
        private final String clusterId;
        private Function<TopologyNode, DataSource> pools;
        private Duration leaderWait = Duration.ofSeconds(10);
        private ReplicationPositions positions = ReplicationPositions.postgres();

        private Builder(RegentTopology topology, String clusterId) {
            this.topology = Objects.requireNonNull(topology, "topology");
            this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
        }

        /**
         * Makes the pool of a node (its {@code host} and {@code port}, the application's database, user and
         * settings); called once per node when it is first used. A pool that is {@link AutoCloseable} (HikariCP,
         * Agroal) is closed when its node leaves the cluster or stops being the leader.
         */
        public Builder pools(Function<TopologyNode, DataSource> factory) {
            this.pools = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /** How long {@link #getConnection()} waits for a leader when the cluster has none; default 10 s. */
        public Builder leaderWait(Duration wait) {
            this.leaderWait = Objects.requireNonNull(wait, "wait");
            return this;
        }

        /** How lag is measured for follower reads; default {@link ReplicationPositions#postgres()}. */
        public Builder positions(ReplicationPositions positions) {
            this.positions = Objects.requireNonNull(positions, "positions");
            return this;
        }

        public RegentDataSource build() {
            if (pools == null) {
                throw new IllegalStateException("set pools(node -> your pool of that node) before build()");
            }
            return new RegentDataSource(this);
        }
    }

    /** The leader connections go to now, if the cluster has one. */
    public Optional<TopologyNode> leader() {
        Route now = route;
        return now == null ? Optional.empty() : Optional.ofNullable(now.leader());
    }

    /** The snapshot routing follows now, if one arrived. */
    public Optional<TopologyChanged> topology() {
        Route now = route;
        return now == null ? Optional.empty() : Optional.of(now.topology());
    }

    /** A connection to the current leader, for reads and writes. */
    @Override
    public Connection getConnection() throws SQLException {
        long deadline = System.nanoTime() + leaderWait.toNanos();
        while (true) {
            Route leader = awaitLeader(deadline);
            Connection connection;
            Waiter waiter = enter(leader);
            if (!leader.sameLeaderAs(route)) {
                leave(waiter); // re-pointed before we registered: no wake-up would reach us in the old pool
                continue;
            }
            try {
                connection = pools.of(leader.leader()).getConnection();
            } catch (SQLException | RuntimeException e) {
                leave(waiter);
                if (!leader.sameLeaderAs(route)) {
                    continue; // the leader changed while we waited for its pool: the new one, at once
                }
                throw e;
            }
            leave(waiter);
            if (!leader.sameLeaderAs(route)) {
                connection.close(); // a connection to the leader of an epoch that just ended: never handed out
                continue;
            }
            if (connection.isReadOnly()) {
                // handed out read-only before (a follower read, or the leader as its fallback) and returned so
                // by a pool that does not reset it (Agroal): writes must not fail on it
                connection.setReadOnly(false);
            }
            return connection;
        }
    }

    /**
     * A data source of read-only connections on followers within {@code policy}'s bound. Each connection is
     * checked when handed out: its node is in recovery and its replayed position is at most {@code
     * maxLagBytes} behind the leader's written position read right after it (an upper bound of the staleness
     * of what the connection reads, since a follower's replay only moves forward). The followers are tried
     * in turn; the check costs one round trip to the follower and one to the leader.
     */
    public DataSource readOnly(ReadPolicy policy) {
        Objects.requireNonNull(policy, "policy");
        return new RoutingDataSource() {
            @Override
            public Connection getConnection() throws SQLException {
                return followerConnection(policy);
            }
        };
    }

    private Connection followerConnection(ReadPolicy policy) throws SQLException {
        Route now = awaitTopology(System.nanoTime() + leaderWait.toNanos());
        List<TopologyNode> followers = now.topology().nodes().stream()
                .filter(n -> n.role() == NodeRole.FOLLOWER).toList();
        List<String> refused = new ArrayList<>();
        int first = followers.isEmpty() ? 0 : Math.floorMod(nextFollower.getAndIncrement(), followers.size());
        for (int i = 0; i < followers.size(); i++) {
            TopologyNode follower = followers.get((first + i) % followers.size());
            Connection connection = null;
            try {
                connection = pools.of(follower).getConnection();
                connection.setReadOnly(true);
                OptionalLong replayed = positions.replayed(connection);
                if (replayed.isEmpty()) {
                    refused.add(follower.name() + " is not a follower now");
                } else {
                    long written = leaderWritten(now);
                    long lag = Math.max(0, written - replayed.getAsLong());
                    if (lag <= policy.maxLagBytes()) {
                        return connection;
                    }
                    refused.add(follower.name() + " is " + bytes(lag) + " behind");
                }
            } catch (LeaderPositionUnknown e) {
                refused.add(e.getMessage());
                release(connection);
                break; // no follower can be measured without the leader
            } catch (SQLException | RuntimeException e) {
                refused.add(follower.name() + ": " + e.getMessage());
            }
            release(connection);
        }
        if (followers.isEmpty()) {
            refused.add("the topology names no follower");
        }
        if (policy.leaderFallback()) {
            Connection leader = getConnection();
            leader.setReadOnly(true);
            return leader;
        }
        throw new SQLTransientConnectionException("no follower of cluster '" + clusterId + "' (epoch " + now.epoch()
                + ") is within " + bytes(policy.maxLagBytes()) + " of the leader: " + String.join("; ", refused),
                NO_CONNECTION);
    }

    /** Thrown inside the follower check when the leader's position cannot be read. */
    private static final class LeaderPositionUnknown extends Exception {
        LeaderPositionUnknown(String message) {
            super(message, null, false, false);
        }
    }

    private long leaderWritten(Route at) throws LeaderPositionUnknown {
        Route now = route;
        if (now == null || now.leader() == null || now.epoch() != at.epoch()) {
            throw new LeaderPositionUnknown("the cluster has no leader to measure lag against");
        }
        Waiter waiter = enter(now); // a failover wakes it, as it wakes writers
        if (!now.sameLeaderAs(route)) {
            leave(waiter);
            throw new LeaderPositionUnknown("the leader changed while the follower was checked");
        }
        try (Connection leader = pools.of(now.leader()).getConnection()) {
            OptionalLong written = positions.written(leader);
            if (written.isEmpty()) {
                throw new LeaderPositionUnknown("the leader " + now.leader().name() + " is not writable now");
            }
            return written.getAsLong();
        } catch (SQLException | RuntimeException e) {
            throw new LeaderPositionUnknown("the leader " + now.leader().name() + "'s position is unknown ("
                    + e.getMessage() + ")");
        } finally {
            leave(waiter);
        }
    }

    private static void release(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        } catch (SQLException ignored) {
            // closing below returns or discards it either way
        }
        try {
            connection.close();
        } catch (SQLException ignored) {
            // the pool discards a broken connection
        }
    }

    private Route awaitLeader(long deadline) throws SQLException {
        synchronized (routeLock) {
            while (true) {
                if (closed) {
                    throw new SQLException("the data source of cluster '" + clusterId + "' is closed", NO_CONNECTION);
                }
                Route now = route;
                if (now != null && now.leader() != null) {
                    return now;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SQLTransientConnectionException(now == null
                            ? "no topology of cluster '" + clusterId + "' arrived within " + leaderWait.toMillis()
                                    + " ms: is the cluster registered, and the topology source reachable?"
                            : "cluster '" + clusterId + "' has had no leader for " + leaderWait.toMillis() + " ms (epoch "
                                    + now.epoch() + ": " + now.topology().reason() + ")", NO_CONNECTION);
                }
                waitOn(left);
            }
        }
    }

    private Route awaitTopology(long deadline) throws SQLException {
        synchronized (routeLock) {
            while (route == null && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SQLTransientConnectionException("no topology of cluster '" + clusterId + "' arrived within "
                            + leaderWait.toMillis() + " ms: is the cluster registered, and the topology source reachable?",
                            NO_CONNECTION);
                }
                waitOn(left);
            }
            if (closed) {
                throw new SQLException("the data source of cluster '" + clusterId + "' is closed", NO_CONNECTION);
            }
            return route;
        }
    }

    private void waitOn(long nanos) throws SQLException {
        try {
            routeLock.wait(Math.max(1, nanos / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for a leader of cluster '" + clusterId + "'",
                    NO_CONNECTION, e);
        }
    }

    private Waiter enter(Route route) {
        Waiter waiter = new Waiter(route);
        synchronized (waiters) {
            waiters.put(Thread.currentThread(), waiter);
        }
        return waiter;
    }

    /** After this, no wake-up reaches the thread; the one it got (if any) is cleared, so it never leaks out. */
    private void leave(Waiter waiter) {
        synchronized (waiters) {
            waiters.remove(Thread.currentThread());
            if (waiter.woken) {
                Thread.interrupted();
            }
        }
    }

    private void onTopology(TopologyChanged topology) {
        Route next = new Route(topology, topology.leaderNode().orElse(null));
        Route before = route;
        synchronized (routeLock) {
            route = next;
            routeLock.notifyAll();
        }
        if (before != null && before.leader() != null && !before.sameLeaderAs(next)) {
            LOG.log(System.Logger.Level.INFO, () -> "cluster " + clusterId + ": connections now go to "
                    + (next.leader() == null ? "no leader" : next.leader().name()) + " (epoch " + next.epoch()
                    + "), away from " + before.leader().name() + " (epoch " + before.epoch() + ")");
            wakeWaitersOf(before);
            pools.retire(before.endpoint());
        }
        pools.retainOnly(topology.nodes());
    }

    private void onDeleted() {
        Route before = route;
        synchronized (routeLock) {
            route = null;
            routeLock.notifyAll();
        }
        if (before != null) {
            wakeWaitersOf(before);
        }
        pools.retainOnly(List.of());
    }

    /** Threads blocked in the pool of a leader that is no longer one: their wait ends now, not at the pool's timeout. */
    private void wakeWaitersOf(Route old) {
        synchronized (waiters) {
            waiters.forEach((thread, waiter) -> {
                if (waiter.route == old || waiter.route.sameLeaderAs(old)) {
                    waiter.woken = true;
                    thread.interrupt();
                }
            });
        }
    }

    static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format("%.1f KiB", bytes / 1024.0);
        }
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /** Ends the subscription and closes every pool the data source made. */
    @Override
    public void close() {
        closed = true;
        try {
            subscription.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "ending the topology subscription failed: " + e);
        }
        synchronized (routeLock) {
            routeLock.notifyAll();
        }
        pools.close();
    }
}
