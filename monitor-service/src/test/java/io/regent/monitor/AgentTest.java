package io.regent.monitor;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.regent.events.Engine;
import io.regent.events.KafkaAccess;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.ProbeErrorKind;
import io.regent.events.ReplicaState;
import io.regent.events.Topics;
import io.regent.testkit.Testkit;
import io.regent.testkit.kafka.KafkaBroker;
import io.regent.testkit.kafka.TopicReader;
import io.regent.testkit.mariadb.MariaDbCluster;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import io.regent.testkit.quarkus.KafkaTestResource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The agent against a real 3-node cluster and a real broker: it learns the nodes from the
 * topology topic and publishes one observation per node per second. Ordered: the last test kills
 * the leader.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTestResource.class, initArgs = @ResourceArg(name = "principal",
        value = KafkaAccess.MONITOR))
@QuarkusTestResource(MonitoredClusterResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentTest {

    private static final String CLUSTER = "mon";

    @BeforeEach
    void announceTheCluster() throws Exception {
        Topologies.announce(bootstrap(), CLUSTER, MonitoredClusterResource.cluster());
    }

    @Test
    @Order(1)
    void leaderAndFollowersAreObservedWithRolesPositionsAndLagThatRisesAndFalls() {
        PostgresCluster cluster = MonitoredClusterResource.cluster();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            NodeObserved leader = latest("mon-1");
            assertThat(leader.reachable()).isTrue();
            assertThat(leader.role()).isEqualTo(NodeRole.LEADER);
            assertThat(leader.observerId()).isEqualTo("agent-test");
            assertThat(leader.observerZone()).isEqualTo("zone-test");
            assertThat(leader.currentLsn()).isPositive();
            assertThat(leader.replicas()).extracting(ReplicaState::syncState).containsOnly("quorum");
            for (String follower : List.of("mon-2", "mon-3")) {
                NodeObserved f = latest(follower);
                assertThat(f.role()).isEqualTo(NodeRole.FOLLOWER);
                assertThat(f.walReceiver().status()).isEqualTo("streaming");
                assertThat(f.lagBytes()).isZero();
            }
        });

        PostgresNode slow = cluster.node("mon-3");
        cluster.initialLeader().execute("CREATE TABLE IF NOT EXISTS load (payload text)");
        slow.freeze();
        try {
            cluster.initialLeader().execute("INSERT INTO load SELECT repeat('x', 500) FROM generate_series(1, 20000)");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(replica(latest("mon-1"), "mon-3")
                    .lagBytes()).isGreaterThan(5_000_000L));
        } finally {
            slow.thaw();
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(replica(latest("mon-1"), "mon-3").lagBytes()).isZero();
            assertThat(latest("mon-3").lagBytes()).isZero();
        });
    }

    @Test
    @Order(2)
    void aFrozenLeaderTimesOutWhileTheFollowersKeepBeingProbedOnTime() {
        PostgresNode leader = MonitoredClusterResource.cluster().initialLeader();
        Instant frozenAt = Instant.now();
        leader.freeze();
        try {
            // within the probe timeout (0.8 s) plus one interval (1 s), and some slack for Kafka
            await().atMost(Duration.ofSeconds(4)).untilAsserted(() -> {
                NodeObserved observed = latest("mon-1");
                assertThat(observed.observedAt()).isAfter(frozenAt);
                assertThat(observed.reachable()).isFalse();
                assertThat(observed.error().kind()).isEqualTo(ProbeErrorKind.TIMEOUT);
            });
            Testkit.sleep(3_000);
        } finally {
            leader.thaw();
        }
        for (String follower : List.of("mon-2", "mon-3")) {
            List<Instant> times = observations(follower).stream().map(NodeObserved::observedAt)
                    .filter(t -> t.isAfter(frozenAt)).sorted().toList();
            assertThat(times).hasSizeGreaterThanOrEqualTo(3);
            for (int i = 1; i < times.size(); i++) {
                assertThat(Duration.between(times.get(i - 1), times.get(i))).as("gap between probes of %s", follower)
                        .isLessThan(Duration.ofMillis(1_500));
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> latest("mon-1").reachable());
    }

    @Test
    @Order(3)
    void aKafkaOutageIsSurvivedBufferedObservationsArriveAndDropsAreCounted() {
        KafkaBroker broker = KafkaTestResource.broker();
        await().atMost(Duration.ofSeconds(30)).until(() -> latest("mon-2").observedAt()
                .isAfter(Instant.now().minusSeconds(2))); // the agent is publishing
        broker.stop();
        Instant stopped = Instant.now();
        Testkit.sleep(10_000);
        Instant restarted = Instant.now();
        // restart() returns once the broker serves again (a child JVM: 4-8 s here). The agent makes 3 observations
        // a second; after a second without acknowledgements it stops handing them to the producer and keeps the
        // newest 30 (the last 10 s), so part of the outage is still buffered when Kafka is back (for restarts up to
        // ~8 s), and the ~27 of the outage plus 3 per second of restart overflow it.
        broker.restart();
        Duration restart = Duration.between(restarted, Instant.now());

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            List<NodeObserved> duringOutage = new ArrayList<>();
            List<Instant> all = new ArrayList<>();
            for (String node : List.of("mon-1", "mon-2", "mon-3")) {
                observations(node).forEach(o -> all.add(o.observedAt()));
                // well inside the outage: these can only have waited in the agent's buffer
                observations(node).stream().filter(o -> o.observedAt().isAfter(stopped.plusSeconds(3))
                        && o.observedAt().isBefore(restarted)).forEach(duringOutage::add);
            }
            String counters = given().get("/q/metrics").then().extract().asString().lines()
                    .filter(l -> l.startsWith("regent_observations")).toList().toString();
            assertThat(duringOutage).as("observations made while Kafka was down (%s to %s); %s; all: %s", stopped,
                    restarted, counters, all.stream().sorted().toList()).hasSizeGreaterThanOrEqualTo(3);
        });
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(dropped(metrics)).as("30 observations in 10 s and more during a restart of %s, a buffer of 30", restart)
                .isGreaterThan(0);
        given().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    @Order(4)
    void aKilledLeaderIsReportedUnreachableWithinTwoIntervalsAndItsFollowersStopStreaming() {
        PostgresNode leader = MonitoredClusterResource.cluster().initialLeader();
        Instant killedAt = Instant.now();
        leader.kill();
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            NodeObserved observed = latest("mon-1");
            assertThat(observed.observedAt()).isAfter(killedAt);
            assertThat(observed.reachable()).isFalse();
            assertThat(observed.error().kind()).isEqualTo(ProbeErrorKind.REFUSED);
        });
        // the first refusal is rechecked after refused-recheck (200 ms), not a whole probe interval (1 s) later:
        // the second refusal - what a failure needs - follows it closely
        List<NodeObserved> refused = await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> observations("mon-1").stream().filter(o -> o.observedAt().isAfter(killedAt) && !o.reachable())
                        .sorted(Comparator.comparing(NodeObserved::observedAt)).toList(), list -> list.size() >= 2);
        assertThat(refused.subList(0, 2)).allSatisfy(o -> assertThat(o.error().kind()).isEqualTo(ProbeErrorKind.REFUSED));
        assertThat(Duration.between(refused.get(0).observedAt(), refused.get(1).observedAt()))
                .as("the recheck of the first refusal, well before the next probe interval")
                .isLessThan(Duration.ofMillis(700));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            for (String follower : List.of("mon-2", "mon-3")) {
                NodeObserved f = latest(follower);
                assertThat(f.reachable()).isTrue();
                assertThat(f.walReceiver() == null ? "none" : f.walReceiver().status()).isNotEqualTo("streaming");
            }
        });
    }

    private static double dropped(String metrics) {
        return metrics.lines().filter(l -> l.startsWith("regent_observations_dropped_total")
                && l.contains("buffer-full")).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static ReplicaState replica(NodeObserved leader, String name) {
        return leader.replicas().stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in " + leader.replicas()));
    }

    @Test
    @Order(5)
    void aMariaDbClusterIsProbedByItsOwnEngine() throws Exception {
        MariaDbCluster cluster = MonitoredClusterResource.mariaDb();
        Topologies.announce(bootstrap(), "maria", cluster);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            NodeObserved leader = latest("maria", "maria-1");
            assertThat(leader.engine()).isEqualTo(Engine.MARIADB);
            assertThat(leader.reachable()).as("%s", leader.error()).isTrue();
            assertThat(leader.role()).isEqualTo(NodeRole.LEADER);
            assertThat(leader.readOnly()).isFalse();
            assertThat(leader.currentLsn()).isPositive();
            NodeObserved follower = latest("maria", "maria-2");
            assertThat(follower.role()).isEqualTo(NodeRole.FOLLOWER);
            assertThat(follower.walReceiver().status()).isEqualTo("streaming");
            assertThat(follower.receivedLsn()).isPositive();
            assertThat(follower.lagBytes()).isZero();
        });
    }

    private static NodeObserved latest(String node) {
        return latest(CLUSTER, node);
    }

    private static NodeObserved latest(String cluster, String node) {
        return observations(cluster, node).stream().max(Comparator.comparing(NodeObserved::observedAt))
                .orElseThrow(() -> new AssertionError("no observation of " + node + " yet"));
    }

    private static List<NodeObserved> observations(String node) {
        return observations(CLUSTER, node);
    }

    private static List<NodeObserved> observations(String cluster, String node) {
        return TopicReader.readAll(bootstrap(), Topics.NODE_HEALTH.name(), cluster).stream()
                .map(r -> r.value().data(NodeObserved.class)).filter(o -> o.node().equals(node)).toList();
    }

    private static KafkaBroker bootstrap() {
        return KafkaTestResource.broker();
    }
}
