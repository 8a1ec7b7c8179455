package io.regent.failover.it;

import static io.regent.testkit.stack.ControlPlane.CONTROL_ROLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.events.OperationKind;
import io.regent.events.OperationStatus;
import io.regent.testkit.SkewedClock;
import io.regent.testkit.Testkit;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ControlPlane;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the failover-service decides from, made untrustworthy on purpose with real processes: agents
 * whose clocks are set seconds wrong (libfaketime), a follower whose server clock is behind, a leader
 * that refuses Regent's role. None of it may cause a failover, and a dead leader must still be replaced.
 */
class EvidenceIT {

    private static ControlPlane plane;

    @BeforeAll
    static void start() {
        plane = ControlPlane.start(0);
        // two agents 2 s behind, one 2 s ahead of the failover-service (and of each other: 4 s apart)
        plane.startAgent("agent-behind-1", "zone-a", SkewedClock.ahead(-2_000));
        plane.startAgent("agent-behind-2", "zone-b", SkewedClock.ahead(-2_000));
        plane.startAgent("agent-ahead", "zone-c", SkewedClock.ahead(2_000));
    }

    @AfterAll
    static void stop() {
        if (plane != null) {
            plane.close();
        }
    }

    @Test
    void skewedClocksNeitherFailALeaderThatStallsNorHideOneThatDied() throws Exception {
        QuarkusService failover = plane.startFailover("failover-skew", "group-skew", Map.of());
        try (PostgresCluster pg = withAFollowerBehind(cluster("skew"));
             AutoCloseable registered = plane.register(pg, Map.of())) {
            awaitWatched(pg);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                Map<String, Double> offsets = clockOffsets(failover);
                assertThat(offsets.get("agent-behind-1")).as("the skew is real: %s", offsets).isBetween(-2.6, -1.4);
                assertThat(offsets.get("agent-behind-2")).isBetween(-2.6, -1.4);
                assertThat(offsets.get("agent-ahead")).isBetween(1.4, 2.6);
            });

            // minutes of a healthy cluster whose leader stalls for 1 s every 5 s: one in ./mvnw verify, ten in
            // the campaign (./mvnw verify -pl failover-service -Dit.test=EvidenceIT -Dregent.evidence.minutes=10)
            int minutes = Integer.getInteger("regent.evidence.minutes", 1);
            for (int stall = 0; stall < 12 * minutes; stall++) {
                pg.initialLeader().freeze();
                try {
                    Testkit.sleep(1_000);
                } finally {
                    pg.initialLeader().thaw();
                }
                Testkit.sleep(4_000);
            }
            assertThat(plane.operations("skew")).as("no false failover").isEmpty();
            assertThat(plane.topology("skew").epoch()).isZero();

            pg.initialLeader().kill();
            await().atMost(Duration.ofSeconds(30)).until(() -> plane.topology("skew").epoch() == 1);
            // announced first (the epoch), then finished: the record may say RUNNING for a moment
            await().atMost(Duration.ofSeconds(10)).until(() -> plane.operations("skew").stream()
                    .allMatch(o -> o.status().isFinal()));
            assertThat(plane.operations("skew")).filteredOn(o -> o.kind() == OperationKind.FAILOVER)
                    .singleElement().satisfies(o -> {
                        assertThat(o.status()).isEqualTo(OperationStatus.SUCCEEDED);
                        assertThat(o.fromNode()).isEqualTo("skew-1");
                    });
        } finally {
            failover.close();
        }
    }

    @Test
    void aLeaderThatRejectsRegentsRoleForThirtySecondsIsAliveNotDown() throws Exception {
        QuarkusService failover = plane.startFailover("failover-auth", "group-auth", Map.of());
        try (PostgresCluster pg = cluster("auth"); AutoCloseable registered = plane.register(pg, Map.of())) {
            awaitWatched(pg);
            PostgresNode leader = pg.initialLeader();
            Path hba = leader.dataDirectory().resolve("pg_hba.conf");
            String original = Files.readString(hba);
            // only on the leader (pg_hba.conf is the node's own file): every agent's login is refused
            Files.writeString(hba, "host all " + CONTROL_ROLE.user() + " 127.0.0.1/32 reject\n" + original);
            try {
                leader.execute("SELECT pg_reload_conf()");
                leader.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '"
                        + CONTROL_ROLE.user() + "'");
                Testkit.sleep(30_000);
                assertThat(plane.operations("auth")).as("a leader that answers, if only to refuse, is alive")
                        .isEmpty();
                assertThat(plane.topology("auth").epoch()).isZero();
                assertThat(leader.isInRecovery()).isFalse();
                assertThat(leader.queryValue("SHOW default_transaction_read_only")).isEqualTo("off");
            } finally {
                Files.writeString(hba, original);
                leader.execute("SELECT pg_reload_conf()");
            }
            Testkit.sleep(3_000); // the agents log in again: still nothing to do
            assertThat(plane.operations("auth")).isEmpty();
        } finally {
            failover.close();
        }
    }

    /**
     * A leader starved of CPU - its server runs 100 ms of every second (SIGSTOP/SIGCONT, as a throttled
     * cgroup would) - answers probes late or not at all for 30 s, but still takes writes: on an asynchronous
     * cluster that is no failover. Its followers keep receiving WAL, which is the evidence that it lives.
     */
    @Test
    void aLeaderStarvedOfCpuForThirtySecondsThatStillTakesWritesIsNotFailedOver() throws Exception {
        QuarkusService failover = plane.startFailover("failover-slow", "group-slow", Map.of());
        try (PostgresCluster pg = cluster("slow"); AutoCloseable registered = plane.register(pg, Map.of())) {
            awaitWatched(pg);
            PostgresNode leader = pg.initialLeader();
            try (Writer writer = Writer.start(pg, pg.superuser())) {
                await().atMost(Duration.ofSeconds(20)).until(() -> writer.acknowledged().size() >= 20);
                int before = writer.acknowledged().size();
                for (long end = System.nanoTime() + 30_000_000_000L; System.nanoTime() < end; ) {
                    leader.freeze();
                    try {
                        Testkit.sleep(900);
                    } finally {
                        leader.thaw();
                    }
                    Testkit.sleep(100);
                }
                assertThat(writer.acknowledged().size()).as("the starved leader still took writes")
                        .isGreaterThan(before + 10);
                Testkit.sleep(3_000); // a decision taken at the end of the starvation would be on record by now
                assertThat(plane.operations("slow")).as("a slow leader that takes writes is alive").isEmpty();
                assertThat(plane.topology("slow").epoch()).isZero();
                assertThat(leader.isInRecovery()).isFalse();
            }
        } finally {
            failover.close();
        }
    }

    private static PostgresCluster cluster(String name) {
        PostgresCluster pg = PostgresCluster.builder().name(name).nodes(3).controlRole(CONTROL_ROLE).start();
        pg.initialLeader().execute("CREATE TABLE t (id int PRIMARY KEY)");
        return pg;
    }

    /** The cluster with its last follower's server clock 3 s behind: its WAL receiver's timestamps are old. */
    private static PostgresCluster withAFollowerBehind(PostgresCluster pg) {
        PostgresNode follower = pg.nodes().get(2);
        follower.stop();
        follower.start(SkewedClock.ahead(-3_000));
        await().atMost(Duration.ofSeconds(30)).until(() -> follower.walReceiverStatus().orElse("").equals("streaming"));
        return pg;
    }

    private static void awaitWatched(PostgresCluster pg) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() ->
                plane.nodeHealthObservers(pg.name()) >= 3);
        Testkit.sleep(2_000);
    }

    /** {@code regent_observer_clock_offset_seconds} by observer, as the failover-service exports it. */
    private static Map<String, Double> clockOffsets(QuarkusService failover) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                failover.url().resolve("/q/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        Map<String, Double> offsets = new java.util.TreeMap<>();
        response.body().lines().filter(l -> l.startsWith("regent_observer_clock_offset_seconds{")).forEach(line -> {
            String observer = line.replaceAll(".*observer=\"([^\"]+)\".*", "$1");
            offsets.put(observer, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
        });
        return offsets;
    }
}
