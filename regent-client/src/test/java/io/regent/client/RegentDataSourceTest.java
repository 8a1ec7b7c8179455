package io.regent.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.supplier.AgroalDataSourceConfigurationSupplier;
import io.agroal.api.security.NamePrincipal;
import io.agroal.api.security.SimplePassword;
import io.regent.events.Engine;
import io.regent.events.NodeRole;
import io.regent.events.Replication;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The routing of {@link RegentDataSource} on a real three-node PostgreSQL cluster, each node behind its own
 * Agroal pool, with the topology given by hand: writes go where the topology says, follower reads keep
 * their lag bound (a follower whose replay is paused behind 2 MiB of WAL is skipped, then all are and the
 * read is refused with each one's reason), and a new epoch wakes a thread stuck waiting on the old leader's
 * exhausted pool at once instead of at the pool's 30 s timeout. The whole control plane (Kafka, a real
 * failover) is in the gateway's {@code RegentClientIT}.
 */
class RegentDataSourceTest {

    private static final long MIB = 1024 * 1024;
    private static PostgresCluster pg;
    private static final AtomicLong revisions = new AtomicLong(100);

    @BeforeAll
    static void start() {
        pg = PostgresCluster.builder().name("rc").nodes(3).start();
        pg.initialLeader().execute("CREATE TABLE pad (id serial PRIMARY KEY, data text)");
        // stored uncompressed: a 2 MiB row is 2 MiB of WAL
        pg.initialLeader().execute("ALTER TABLE pad ALTER COLUMN data SET STORAGE EXTERNAL");
        pg.awaitCaughtUp(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void writesGoToTheLeaderOfTheNewestEpoch() throws Exception {
        try (RegentTopology topology = RegentTopology.manual(); RegentDataSource ds = dataSource(topology, 4)) {
            topology.offer(snapshot(1, "rc-1", Map.of()));
            assertThat(portOf(ds)).isEqualTo(pg.node("rc-1").port());
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO pad (data) VALUES ('routed')");
            }
            // a late record of epoch 1 naming another leader changes nothing
            topology.offer(snapshot(2, "rc-2", Map.of()));
            topology.offer(snapshot(1, "rc-3", Map.of()));
            assertThat(ds.leader().orElseThrow().name()).isEqualTo("rc-2");
            assertThat(portOf(ds)).isEqualTo(pg.node("rc-2").port());
        }
    }

    @Test
    void followerReadsKeepTheirLagBoundAndSayWhyWhenNoFollowerCan() throws Exception {
        PostgresNode lagging = pg.node("rc-2");
        PostgresNode other = pg.node("rc-3");
        try (RegentTopology topology = RegentTopology.manual(); RegentDataSource ds = dataSource(topology, 4)) {
            topology.offer(snapshot(1, "rc-1", Map.of()));
            DataSource reads = ds.readOnly(ReadPolicy.followersWithin(MIB));
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                ports.add(portOf(reads));
            }
            assertThat(ports).as("both followers take turns").contains(lagging.port(), other.port())
                    .doesNotContain(pg.node("rc-1").port());

            pauseReplay(lagging);
            try {
                pg.initialLeader().execute("INSERT INTO pad (data) SELECT repeat('x', 2 * 1024 * 1024)");
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> portOf(reads) == other.port());
                for (int i = 0; i < 10; i++) {
                    assertThat(portOf(reads)).as("read %d", i).isEqualTo(other.port());
                }

                pauseReplay(other);
                pg.initialLeader().execute("INSERT INTO pad (data) SELECT repeat('y', 2 * 1024 * 1024)");
                assertThatThrownBy(() -> portOf(reads))
                        .isInstanceOf(SQLTransientConnectionException.class)
                        .hasMessageStartingWith("no follower of cluster 'rc' (epoch 1) is within 1.0 MiB of the leader: ")
                        .hasMessageContaining("rc-2 is ").hasMessageContaining("rc-3 is ")
                        .hasMessageContaining(" MiB behind")
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));

                DataSource anyRead = ds.readOnly(ReadPolicy.followersWithin(MIB).orLeader());
                try (Connection c = anyRead.getConnection()) {
                    assertThat(port(c)).as("the leader, when no follower is within the bound").isEqualTo(
                            pg.node("rc-1").port());
                    assertThat(c.isReadOnly()).isTrue();
                }
                // a generous bound takes them again
                assertThat(portOf(ds.readOnly(ReadPolicy.followersWithin(64 * MIB))))
                        .isIn(lagging.port(), other.port());
            } finally {
                lagging.execute("SELECT pg_wal_replay_resume()");
                other.execute("SELECT pg_wal_replay_resume()");
            }
            pg.awaitCaughtUp(Duration.ofSeconds(30));
        }
    }

    @Test
    void aNodeTheTopologyCallsFollowerIsNotReadUnlessItIsInRecovery() throws Exception {
        try (RegentTopology topology = RegentTopology.manual(); RegentDataSource ds = dataSource(topology, 4)) {
            // a topology not caught up yet: the leader still listed as a follower, the others fenced
            topology.offer(snapshot(1, "rc-1", Map.of("rc-1", NodeRole.FOLLOWER, "rc-2", NodeRole.FENCED,
                    "rc-3", NodeRole.FENCED)));
            assertThatThrownBy(() -> portOf(ds.readOnly(ReadPolicy.followersWithin(MIB))))
                    .hasMessage("no follower of cluster 'rc' (epoch 1) is within 1.0 MiB of the leader: "
                            + "rc-1 is not a follower now");
        }
    }

    @Test
    void aConnectionLentReadOnlyIsWritableWhenItServesTheLeaderNext() throws Exception {
        try (RegentTopology topology = RegentTopology.manual(); RegentDataSource ds = dataSource(topology, 1)) {
            // no follower at all: the read falls back to the leader, on the pool's only connection
            topology.offer(snapshot(1, "rc-1", Map.of("rc-2", NodeRole.FENCED, "rc-3", NodeRole.FENCED)));
            try (Connection read = ds.readOnly(ReadPolicy.followersWithin(MIB).orLeader()).getConnection()) {
                assertThat(read.isReadOnly()).isTrue();
            }
            try (Connection write = ds.getConnection(); Statement s = write.createStatement()) {
                assertThat(write.isReadOnly()).isFalse();
                s.execute("INSERT INTO pad (data) VALUES ('after a read')");
            }
        }
    }

    @Test
    void withoutATopologyOrALeaderConnectionsFailClearlyAfterTheWait() throws Exception {
        try (RegentTopology topology = RegentTopology.manual(); RegentDataSource ds = RegentDataSource
                .builder(topology, "rc").pools(agroal(1)).leaderWait(Duration.ofMillis(300)).build()) {
            assertThatThrownBy(ds::getConnection).isInstanceOf(SQLTransientConnectionException.class)
                    .hasMessage("no topology of cluster 'rc' arrived within 300 ms: is the cluster registered, and "
                            + "the topology source reachable?");
            topology.offer(snapshot(3, null, Map.of()));
            assertThatThrownBy(ds::getConnection).isInstanceOf(SQLTransientConnectionException.class)
                    .hasMessage("cluster 'rc' has had no leader for 300 ms (epoch 3: test)");
            assertThatThrownBy(() -> ds.readOnly(ReadPolicy.followersWithin(MIB)).getConnection())
                    .hasMessageEndingWith("the cluster has no leader to measure lag against");

            // a leader announced while a caller waits: it gets its connection
            RegentDataSource patient = RegentDataSource.builder(topology, "rc").pools(agroal(1))
                    .leaderWait(Duration.ofSeconds(20)).build();
            try (patient) {
                CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> unchecked(() -> portOf(patient)));
                Thread.sleep(200);
                assertThat(waiting).isNotDone();
                topology.offer(snapshot(4, "rc-1", Map.of()));
                assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo(pg.node("rc-1").port());
            }
        }
    }

    @Test
    void aNewEpochWakesAThreadWaitingOnTheOldLeadersExhaustedPool() throws Exception {
        try (RegentTopology topology = RegentTopology.manual(); RegentDataSource ds = dataSource(topology, 1)) {
            topology.offer(snapshot(1, "rc-1", Map.of()));
            try (Connection held = ds.getConnection()) { // the old leader's only connection, in use
                assertThat(port(held)).isEqualTo(pg.node("rc-1").port());
                AtomicBoolean leftInterrupted = new AtomicBoolean(true);
                CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
                    int port = unchecked(() -> portOf(ds));
                    leftInterrupted.set(Thread.currentThread().isInterrupted());
                    return port;
                });
                Thread.sleep(500);
                assertThat(waiting).as("waits for the exhausted pool (its timeout: 30 s)").isNotDone();

                long announced = System.nanoTime();
                topology.offer(snapshot(2, "rc-3", Map.of()));
                assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo(pg.node("rc-3").port());
                assertThat(Duration.ofNanos(System.nanoTime() - announced)).isLessThan(Duration.ofSeconds(5));
                assertThat(leftInterrupted).as("the wake-up does not leak into the caller's code").isFalse();
            }
            assertThat(portOf(ds)).isEqualTo(pg.node("rc-3").port());
        }
    }

    /** Replay stops at once on request, but the request is only read between records: until it has stopped. */
    private static void pauseReplay(PostgresNode follower) {
        follower.execute("SELECT pg_wal_replay_pause()");
        await().atMost(Duration.ofSeconds(10)).until(() -> "paused".equals(
                follower.queryValue("SELECT pg_get_wal_replay_pause_state()")));
    }

    private static RegentDataSource dataSource(RegentTopology topology, int poolSize) {
        return RegentDataSource.builder(topology, "rc").pools(agroal(poolSize)).build();
    }

    /** The application's own pools: Agroal, one per node, as the superuser (a test). */
    private static Function<TopologyNode, DataSource> agroal(int size) {
        return node -> {
            try {
                return AgroalDataSource.from(new AgroalDataSourceConfigurationSupplier()
                        .connectionPoolConfiguration(pool -> pool.maxSize(size)
                                .acquisitionTimeout(Duration.ofSeconds(30))
                                .connectionFactoryConfiguration(factory -> factory
                                        .jdbcUrl("jdbc:postgresql://" + node.host() + ":" + node.port() + "/postgres")
                                        .principal(new NamePrincipal(pg.superuser().user()))
                                        .credential(new SimplePassword(pg.superuser().password())))));
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    private static TopologyChanged snapshot(long epoch, String leader, Map<String, NodeRole> roles) {
        List<TopologyNode> nodes = pg.nodes().stream().map(n -> new TopologyNode(n.name(), n.host(), n.port(), null,
                roles.getOrDefault(n.name(), n.name().equals(leader) ? NodeRole.LEADER : NodeRole.FOLLOWER), 100,
                null, List.of())).toList();
        return new TopologyChanged("rc", epoch, Engine.POSTGRESQL, leader, nodes, Replication.ASYNC, false,
                Instant.now(), "test", null, revisions.incrementAndGet() + epoch * 1_000);
    }

    private static int portOf(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return port(c);
        }
    }

    private static int port(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT inet_server_port()")) {
            r.next();
            return r.getInt(1);
        }
    }

    private interface SqlCall<T> {
        T call() throws SQLException;
    }

    private static <T> T unchecked(SqlCall<T> call) {
        try {
            return call.call();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
