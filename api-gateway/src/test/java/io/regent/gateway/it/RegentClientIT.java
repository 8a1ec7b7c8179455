package io.regent.gateway.it;

import static io.regent.testkit.stack.ControlPlane.CONTROL_ROLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.regent.client.ReadPolicy;
import io.regent.client.RegentDataSource;
import io.regent.client.RegentTopology;
import io.regent.events.KafkaAccess;
import io.regent.events.NodeRole;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.testkit.Testkit;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import io.regent.testkit.stack.ControlPlane;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An application on regent-client against the real stack: a synchronous ({@code ANY 1}) four-node PostgreSQL
 * cluster, the topology from Kafka (as principal {@code regent-app}) and, beside it, from the gateway's live
 * feed; one thread writes every 5 ms through {@link RegentDataSource} (HikariCP pools), another reads from
 * followers within 1 MiB. Across a kill -9 of the leader and then an operator's switchover: no acknowledged write is
 * lost, every read was served by a node in recovery within the bound, and writes resume within 1 s of the
 * topology event reaching the application.
 */
class RegentClientIT {

    private static final long MIB = 1024 * 1024;
    private static final Duration RESUME_BOUND = Duration.ofSeconds(1);
    private static final String APP_PASSWORD = "app-" + Testkit.randomSecret();

    @RegisterExtension
    static final SharedStack.Use STACK = new SharedStack.Use();

    /** A write the server committed: its id, when the commit returned, where, and the leader's WAL position then. */
    private record Ack(long id, long nanos, int port, long lsn) {
    }

    /** A read served: when it started, by which node, whether in recovery, and its replayed position. */
    private record Read(long startNanos, int port, boolean inRecovery, long replayed) {
    }

    @Test
    void writesFollowAKillAndASwitchoverWithoutLossAndReadsKeepTheirBound() throws Exception {
        ControlPlane plane = STACK.get().plane;
        try (PostgresCluster pg = PostgresCluster.builder().name("client").nodes(4).synchronousAny(1)
                .controlRole(CONTROL_ROLE).start()) {
            // the application's own role, as in production: a fence ends its sessions (a superuser's it cannot, and
            // such a session's in-flight commit lands after the switchover's barrier: a follower that receives it
            // has gone past the new leader's fork point and can no longer follow it)
            pg.initialLeader().execute("CREATE ROLE app LOGIN PASSWORD '" + APP_PASSWORD + "'");
            pg.initialLeader().execute("CREATE TABLE writes (id bigint PRIMARY KEY)");
            pg.initialLeader().execute("GRANT SELECT, INSERT ON writes TO app");
            AutoCloseable registered = plane.register(pg, Map.of());
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> plane.ownedBy(STACK.get().failover).contains("client"));
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> plane.nodeHealthObservers("client") >= 3);
                Testkit.sleep(2_000); // enough probes of every node for a first decision
                run(plane, pg);
            } finally {
                registered.close();
            }
        }
    }

    private void run(ControlPlane plane, PostgresCluster pg) throws Exception {
        Map<Long, Long> epochArrived = new ConcurrentHashMap<>();
        List<Long> feedEpochs = new CopyOnWriteArrayList<>();
        try (RegentTopology topology = RegentTopology.fromKafka(plane.kafka.clientConfig(KafkaAccess.APPLICATION),
                "client-it");
                RegentTopology feed = RegentTopology.fromGateway(STACK.get().gateway.url(),
                        () -> STACK.get().token(SharedStack.VIEWER))) {
            // subscribed before the data source, so an epoch's arrival is noted no later than the re-pointing
            topology.subscribe("client", t -> epochArrived.putIfAbsent(t.epoch(), System.nanoTime()));
            feed.subscribe("client", t -> feedEpochs.add(t.epoch()));
            TopologyChanged first = topology.await("client", t -> t.leader() != null, Duration.ofSeconds(30));
            long epoch = first.epoch();
            assertThat(first.leader()).isEqualTo(pg.initialLeader().name());

            Map<Long, Long> epochRouted = new ConcurrentHashMap<>();
            try (RegentDataSource ds = RegentDataSource.builder(topology, "client").pools(hikari()).build();
                    AutoCloseable routed = topology.subscribe("client", // after the data source's: it has re-pointed
                            t -> epochRouted.putIfAbsent(t.epoch(), System.nanoTime()));
                    Load load = new Load(ds, ds.readOnly(ReadPolicy.followersWithin(MIB)))) {
                Testkit.sleep(2_000);
                assertThat(load.acked).as("writes before any fault").isNotEmpty();
                assertThat(load.reads).as("follower reads before any fault").isNotEmpty();

                // 1. kill -9 of the leader
                pg.initialLeader().kill();
                TopologyChanged failedOver = topology.await("client", t -> t.epoch() == epoch + 1, Duration.ofSeconds(40));
                Duration failoverResume = resumedAfter(load, epochArrived.get(epoch + 1), pg.node(failedOver.leader()));

                // 2. an operator's switchover, through the gateway, to a follower of the new leader (the one it
                // replaces needs a rejoin before it streams again: the fourth node keeps the cluster synchronous)
                String target = await().atMost(Duration.ofSeconds(30)).until(() -> topology.current("client")
                        .orElseThrow().nodes().stream().filter(n -> n.role() == NodeRole.FOLLOWER).map(TopologyNode::name)
                        .findFirst().orElse(null), name -> name != null);
                switchover(target, epoch + 1);
                TopologyChanged switched = topology.await("client", t -> t.epoch() == epoch + 2, Duration.ofSeconds(60));
                assertThat(switched.leader()).isEqualTo(target);
                Duration switchoverResume = resumedAfter(load, epochArrived.get(epoch + 2), pg.node(target));
                Testkit.sleep(1_000);
                load.close();

                System.out.printf("regent-client: %d writes acknowledged (%d failed), %d follower reads served "
                        + "(%d refused); writes resumed %d ms after the failover's topology event, %d ms after the "
                        + "switchover's%n", load.acked.size(), load.writeFailures.get(), load.reads.size(),
                        load.readRefusals.get(), failoverResume.toMillis(), switchoverResume.toMillis());
                assertThat(failoverResume).as("writes resume after the failover").isLessThanOrEqualTo(RESUME_BOUND);
                assertThat(switchoverResume).as("writes resume after the switchover").isLessThanOrEqualTo(RESUME_BOUND);
                assertNothingAcknowledgedIsLost(pg.node(target), load.acked);
                // a node promoted in this run, with the time the application learnt it leads
                assertEveryReadWasAFollowerWithinTheBound(load, Map.of(
                        pg.node(failedOver.leader()).port(), epochRouted.get(epoch + 1),
                        pg.node(target).port(), epochRouted.get(epoch + 2)));
            }
            // the live feed told the same story, in the same order
            await().atMost(Duration.ofSeconds(10)).until(() -> feedEpochs.contains(epoch + 2));
            assertThat(feedEpochs).isSorted().contains(epoch, epoch + 1, epoch + 2);
            assertThat(feed.current("client").orElseThrow().leader()).isEqualTo(topology.current("client")
                    .orElseThrow().leader());
        }
    }

    /** How long after the topology event the first write was acknowledged by the new leader. */
    private static Duration resumedAfter(Load load, long eventNanos, PostgresNode newLeader) {
        try {
            Ack first = await().atMost(Duration.ofSeconds(10)).until(() -> load.acked.stream()
                    .filter(a -> a.port() == newLeader.port() && a.nanos() >= eventNanos).findFirst().orElse(null),
                    ack -> ack != null);
            return Duration.ofNanos(first.nanos() - eventNanos);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no write acknowledged by " + newLeader.name() + " within 10 s of the topology "
                    + "event; the writer's errors since (ms after the event): " + load.errorsSince(eventNanos)
                    + "; " + load.writeInFlight(), e);
        }
    }

    private static void assertNothingAcknowledgedIsLost(PostgresNode leader, List<Ack> acked) {
        Set<Long> present = new HashSet<>();
        for (Map<String, Object> row : leader.query("SELECT id FROM writes")) {
            present.add(((Number) row.get("id")).longValue());
        }
        List<Long> lost = acked.stream().map(Ack::id).filter(id -> !present.contains(id)).toList();
        assertThat(lost).as("acknowledged writes missing on the final leader (of %d)", acked.size()).isEmpty();
    }

    /**
     * Every read ran on a node in recovery - or on one promoted in this run, having started before the
     * application learnt of that promotion - and had replayed every write acknowledged more than the bound
     * before it started: the newest WAL position acknowledged before the read minus its replayed position.
     */
    private static void assertEveryReadWasAFollowerWithinTheBound(Load load, Map<Integer, Long> promotedAt) {
        // a follower checked and handed out just before its promotion serves the read as the new leader: never
        // stale, and only ever before the application learnt of the new epoch (then it is no follower to pick)
        List<Read> onPromoted = load.reads.stream().filter(read -> !read.inRecovery()).toList();
        assertThat(onPromoted).allSatisfy(read -> {
            assertThat(promotedAt).as("read on port %d, not in recovery", read.port()).containsKey(read.port());
            assertThat(read.startNanos()).as("read on port %d, not in recovery", read.port())
                    .isLessThan(promotedAt.get(read.port()));
        });
        System.out.printf("regent-client: %d of %d reads checked on a follower ran after its promotion%n",
                onPromoted.size(), load.reads.size());
        for (Read read : load.reads) {
            long acknowledgedBefore = load.acked.stream().filter(a -> a.nanos() < read.startNanos())
                    .mapToLong(Ack::lsn).max().orElse(0);
            assertThat(acknowledgedBefore - read.replayed()).as("lag of the read on port %d", read.port())
                    .isLessThanOrEqualTo(MIB);
        }
    }

    private void switchover(String target, long epoch) throws Exception {
        HttpResponse<String> accepted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                STACK.get().gateway.url().resolve("/api/v1/clusters/client/switchover"))
                .header("Authorization", "Bearer " + STACK.get().token(SharedStack.OPERATOR))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"candidate\":\"" + target + "\",\"expectedEpoch\":" + epoch
                        + ",\"reason\":\"regent-client test\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    }

    /** The application's pools: HikariCP as role app, created lazily (a dead node's pool does not fail at creation). */
    private static Function<TopologyNode, DataSource> hikari() {
        return node -> {
            HikariConfig config = new HikariConfig();
            config.setPoolName("client-" + node.name());
            config.setJdbcUrl("jdbc:postgresql://" + node.host() + ":" + node.port() + "/postgres");
            config.setUsername("app");
            config.setPassword(APP_PASSWORD);
            config.setMaximumPoolSize(4);
            config.setConnectionTimeout(5_000);
            config.setInitializationFailTimeout(-1);
            return new HikariDataSource(config);
        };
    }

    /** The application: a writer every 5 ms and a follower reader every 5 ms, each recording what it got. */
    private static final class Load implements AutoCloseable {
        final List<Ack> acked = new CopyOnWriteArrayList<>();
        final List<Read> reads = new CopyOnWriteArrayList<>();
        final AtomicLong writeFailures = new AtomicLong();
        final AtomicLong readRefusals = new AtomicLong();
        private final AtomicLong ids = new AtomicLong();
        private final Thread writer;
        private final Thread reader;
        private volatile boolean running = true;

        Load(DataSource writes, DataSource reads) {
            writer = new Thread(() -> loop(() -> write(writes), writeFailures), "client-it-writer");
            reader = new Thread(() -> loop(() -> read(reads), readRefusals), "client-it-reader");
            writer.start();
            reader.start();
        }

        private interface Step {
            void run() throws SQLException;
        }

        /** The writer's errors: when, and what (consecutive repeats of one message kept once). */
        private final List<Map.Entry<Long, String>> errors = new CopyOnWriteArrayList<>();

        String errorsSince(long nanos) {
            return errors.stream().filter(e -> e.getKey() >= nanos).map(e -> (e.getKey() - nanos) / 1_000_000 + " ms: "
                    + e.getValue()).toList().toString();
        }

        private void loop(Step step, AtomicLong failures) {
            while (running) {
                try {
                    step.run();
                } catch (SQLException | RuntimeException e) {
                    failures.incrementAndGet();
                    if (failures == writeFailures && (errors.isEmpty()
                            || !errors.get(errors.size() - 1).getValue().equals(e.toString()))) {
                        errors.add(Map.entry(System.nanoTime(), e.toString()));
                    }
                }
                Testkit.sleep(5);
            }
        }

        /** When the write in flight began (0: none): a commit waiting for a synchronous standby never returns. */
        private volatile long writeStarted;

        String writeInFlight() {
            long started = writeStarted;
            return started == 0 ? "no write in flight" : "one write in flight for "
                    + (System.nanoTime() - started) / 1_000_000 + " ms";
        }

        private void write(DataSource ds) throws SQLException {
            writeStarted = System.nanoTime();
            try {
                insert(ds);
            } finally {
                writeStarted = 0;
            }
        }

        private void insert(DataSource ds) throws SQLException {
            long id = ids.incrementAndGet();
            try (Connection c = ds.getConnection(); PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO writes (id) VALUES (?) RETURNING pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, "
                            + "inet_server_port()")) {
                insert.setLong(1, id);
                try (ResultSet row = insert.executeQuery()) {
                    row.next();
                    acked.add(new Ack(id, System.nanoTime(), row.getInt(2), row.getLong(1)));
                }
            }
        }

        private void read(DataSource ds) throws SQLException {
            long start = System.nanoTime();
            try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet row = s.executeQuery(
                    "SELECT inet_server_port(), pg_is_in_recovery(), "
                            + "coalesce(pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint, 0), count(*) FROM writes")) {
                row.next();
                reads.add(new Read(start, row.getInt(1), row.getBoolean(2), row.getLong(3)));
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            writer.join(15_000);
            reader.join(15_000);
        }
    }
}
