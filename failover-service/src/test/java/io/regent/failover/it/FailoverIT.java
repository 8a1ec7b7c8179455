package io.regent.failover.it;

import static io.regent.testkit.stack.ControlPlane.CONTROL_ROLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.regent.events.MaintenanceChanged;
import io.regent.events.OperationKind;
import io.regent.events.OperationPhase;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import io.regent.events.Phases;
import io.regent.events.SwitchoverRequested;
import io.regent.events.TopologyChanged;
import io.regent.testkit.Testkit;
import io.regent.testkit.postgres.Credentials;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ControlPlane;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Failover end to end, every part real and in its own process: PostgreSQL clusters, Kafka, the
 * registry, three monitor agents and one or two failover-service instances - the DESIGN.md
 * invariants proven by doing the thing and looking at the databases, the registry and the topic.
 */
class FailoverIT {

    private static final Credentials APP = new Credentials("app", "app-secret");
    private static final List<String> ALL_PHASES = List.of(Phases.DETECTED, Phases.DECIDED, Phases.FENCED,
            Phases.PROMOTED, Phases.REPOINTED, Phases.ANNOUNCED);

    private static ControlPlane plane;
    private static final List<AutoCloseable> registrations = new java.util.ArrayList<>();

    @BeforeAll
    static void startControlPlane() {
        plane = ControlPlane.start(3);
    }

    @AfterAll
    static void stopControlPlane() {
        if (plane != null) {
            plane.close();
        }
    }

    @AfterEach
    void stopFailoverInstances() {
        plane.agents.forEach(agent -> agent.process().thaw()); // a test that froze one and failed
        plane.stopFailoverInstances();
    }

    @Test
    void killMinus9OfTheLeaderPromotesTheBestFollowerOnceWithTwoInstancesRunning() throws Exception {
        QuarkusService a = plane.startFailover("failover-a", "group-kill", Map.of());
        QuarkusService b = plane.startFailover("failover-b", "group-kill", Map.of());
        try (PostgresCluster pg = cluster("kill", 0); AutoCloseable registered = FailoverIT::unregister) {
            long epoch = registerAndAwaitWatched(pg, List.of(a, b));
            assertThat(owners(pg, List.of(a, b))).as("exactly one instance owns the cluster").hasSize(1);

            pg.initialLeader().kill();
            PostgresNode leader = awaitNewLeader(pg, Duration.ofSeconds(30));
            leader.execute("INSERT INTO t VALUES (1000)");

            TopologyChanged after = await().atMost(Duration.ofSeconds(30))
                    .until(() -> plane.topology("kill"), t -> t.epoch() == epoch + 1);
            assertThat(after.leader()).isEqualTo(leader.name());
            PostgresNode other = pg.nodes().stream().filter(n -> n != leader && n != pg.initialLeader()).findFirst()
                    .orElseThrow();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(other.walReceiverStatus()).contains("streaming");
                assertThat(other.timeline()).isEqualTo(2);
                assertThat(other.queryValue("SELECT count(*) FROM t WHERE id = 1000")).isEqualTo(1L);
            });

            OperationUpdated op = onlyFailover("kill", epoch);
            assertThat(op.status()).isEqualTo(OperationStatus.SUCCEEDED);
            assertThat(op.epochAfter()).isEqualTo(epoch + 1);
            assertThat(op.fromNode()).isEqualTo("kill-1");
            assertThat(op.toNode()).isEqualTo(leader.name());
            assertThat(op.initiator()).isEqualTo("system");
            assertThat(op.phases()).extracting(OperationPhase::name).containsExactlyElementsOf(ALL_PHASES);
            assertAnnouncedOnceAfterPromotion("kill", epoch, op);
            Thread.sleep(3_000); // nothing more happens: no second failover, no flapping
            assertThat(plane.topology("kill").epoch()).isEqualTo(epoch + 1);
            assertThat(plane.operations("kill")).filteredOn(o -> o.kind() == OperationKind.FAILOVER).hasSize(1);
        }
    }

    @Test
    void aFrozenAgentAndOneSecondLeaderStallsCauseNoFailover() throws Exception {
        QuarkusService failover = plane.startFailover("failover-calm", "group-calm", Map.of());
        try (PostgresCluster pg = cluster("calm", 0); AutoCloseable registered = FailoverIT::unregister) {
            long epoch = registerAndAwaitWatched(pg, List.of(failover));
            Stalls.blindAnAgentThenStallTheLeader(plane.agents.get(0), pg.initialLeader()::freeze,
                    pg.initialLeader()::thaw);
            assertThat(plane.topology("calm").epoch()).isEqualTo(epoch);
            assertThat(plane.operations("calm")).isEmpty();
            assertThat(pg.initialLeader().isInRecovery()).isFalse();
            assertThat(pg.nodes().subList(1, 3)).allSatisfy(n -> assertThat(n.isInRecovery()).isTrue());
        }
    }

    @Test
    void aFrozenLeaderIsReplacedAndFencedWhenItWakesSoItCannotAcknowledgeWrites() throws Exception {
        QuarkusService failover = plane.startFailover("failover-zombie", "group-zombie", Map.of());
        try (PostgresCluster pg = cluster("zombie", 1); AutoCloseable registered = FailoverIT::unregister) {
            PostgresNode old = pg.initialLeader();
            old.execute("CREATE ROLE " + APP.user() + " LOGIN PASSWORD '" + APP.password() + "'");
            old.execute("GRANT INSERT, SELECT ON t TO " + APP.user());
            long epoch = registerAndAwaitWatched(pg, List.of(failover));

            old.freeze();
            try {
                awaitNewLeader(pg, Duration.ofSeconds(30));
                await().atMost(Duration.ofSeconds(30)).until(() -> plane.topology("zombie").epoch() == epoch + 1);
                assertThat(onlyFailover("zombie", epoch).phases()).filteredOn(p -> p.name().equals(Phases.FENCED))
                        .singleElement().satisfies(p -> assertThat(p.detail()).contains("unreachable"));
            } finally {
                old.thaw();
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(plane.operations("zombie"))
                    .filteredOn(o -> o.kind() == OperationKind.FENCE && o.status() == OperationStatus.SUCCEEDED)
                    .singleElement().satisfies(o -> assertThat(o.fromNode()).isEqualTo("zombie-1")));
            assertThat(old.queryValue("SHOW default_transaction_read_only")).isEqualTo("on");
            try (Connection app = old.connect(APP, "postgres", Duration.ofSeconds(30));
                 Statement statement = app.createStatement()) {
                assertThatThrownBy(() -> statement.execute("INSERT INTO t VALUES (2000)"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("read-only");
                // overriding the read-only default does not help: the commit waits for a standby that does not exist
                statement.execute("SET default_transaction_read_only = off");
                CompletableFuture<Boolean> write = CompletableFuture.supplyAsync(() -> {
                    try {
                        return statement.execute("INSERT INTO t VALUES (2001)");
                    } catch (SQLException e) {
                        throw new CompletionException(e);
                    }
                });
                assertThatThrownBy(() -> write.get(3, TimeUnit.SECONDS)).as("not acknowledged")
                        .isInstanceOf(TimeoutException.class);
                old.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'");
                assertThatThrownBy(() -> write.get(10, TimeUnit.SECONDS)).as("ended without an acknowledgement")
                        .isInstanceOf(ExecutionException.class);
            }
            assertThat(plane.operations("zombie")).as("fenced once").filteredOn(o -> o.kind() == OperationKind.FENCE)
                    .hasSize(1);
            assertThat(plane.topology("zombie").epoch()).isEqualTo(epoch + 1);
        }
    }

    @Test
    void aFailoverServiceKilledMidOperationIsReplacedAndTheEpochMovesOnce() throws Exception {
        Map<String, String> pauseAfterPromotion = Map.of("regent.failover.test-pause-after-phase", Phases.PROMOTED,
                "regent.failover.test-pause", "120s");
        QuarkusService a = plane.startFailover("failover-c1", "group-crash", pauseAfterPromotion);
        QuarkusService b = plane.startFailover("failover-c2", "group-crash", pauseAfterPromotion);
        try (PostgresCluster pg = cluster("crash", 0); AutoCloseable registered = FailoverIT::unregister) {
            long epoch = registerAndAwaitWatched(pg, List.of(a, b));
            QuarkusService owner = owners(pg, List.of(a, b)).get(0);
            QuarkusService survivor = owner == a ? b : a;

            pg.initialLeader().kill();
            await().atMost(Duration.ofSeconds(30)).until(() -> failover("crash", epoch)
                    .map(op -> op.phases().stream().anyMatch(p -> p.name().equals(Phases.PROMOTED))).orElse(false));
            owner.kill(); // crash between promotion and announcement
            assertThat(plane.topology("crash").epoch()).as("not announced before the crash").isEqualTo(epoch);

            OperationUpdated op = await().atMost(Duration.ofSeconds(60)).until(() -> failover("crash", epoch)
                    .orElseThrow(), o -> o.status().isFinal());
            assertThat(op.status()).as("error: %s", op.error()).isEqualTo(OperationStatus.SUCCEEDED);
            assertThat(op.phases()).extracting(OperationPhase::name).containsExactlyElementsOf(ALL_PHASES);
            assertThat(op.epochAfter()).isEqualTo(epoch + 1);
            assertThat(plane.ownedBy(survivor)).contains("crash");
            assertThat(plane.topology("crash").leader()).isEqualTo(op.toNode());
            assertAnnouncedOnceAfterPromotion("crash", epoch, op);
            PostgresNode other = pg.nodes().stream().filter(n -> !n.name().equals(op.toNode())
                    && n != pg.initialLeader()).findFirst().orElseThrow();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(other.walReceiverStatus()).contains("streaming"));
            assertThat(onlyFailover("crash", epoch).operationId()).isEqualTo(op.operationId());
        }
    }

    @Test
    void synchronousAny1Of2WithOneFollowerDownAndTheLeaderDeadRefusesLoudly() throws Exception {
        QuarkusService failover = plane.startFailover("failover-rpo", "group-rpo", Map.of());
        try (PostgresCluster pg = cluster("rpo", 1); AutoCloseable registered = FailoverIT::unregister) {
            long epoch = registerAndAwaitWatched(pg, List.of(failover));
            pg.node("rpo-3").kill();
            Testkit.sleep(2_500); // the agents see it gone
            pg.initialLeader().kill();

            OperationUpdated op = await().atMost(Duration.ofSeconds(30)).until(() -> failover("rpo", epoch)
                    .orElse(null), o -> o != null && o.status().isFinal());
            assertThat(op.status()).isEqualTo(OperationStatus.FAILED);
            assertThat(op.error()).contains("synchronous ANY 1 of 2 standbys needs 2 reachable")
                    .contains("only 1 ([rpo-2]) are reachable");
            Testkit.sleep(2_000);
            assertThat(pg.node("rpo-2").isInRecovery()).as("nothing was promoted").isTrue();
            assertThat(plane.topology("rpo").epoch()).isEqualTo(epoch);
            assertThat(plane.operations("rpo")).filteredOn(o -> o.kind() == OperationKind.FAILOVER).hasSize(1);
        }
    }

    @Test
    void aSwitchoverWithAConcurrentWriterLosesNoAcknowledgedWrite() throws Exception {
        QuarkusService failover = plane.startFailover("failover-switch", "group-switch", Map.of());
        try (PostgresCluster pg = cluster("switch", 1); AutoCloseable registered = FailoverIT::unregister) {
            pg.initialLeader().execute("CREATE ROLE " + APP.user() + " LOGIN PASSWORD '" + APP.password() + "'");
            pg.initialLeader().execute("GRANT INSERT, SELECT ON t TO " + APP.user());
            long epoch = registerAndAwaitWatched(pg, List.of(failover));
            try (Writer writer = Writer.start(pg, APP)) {
                await().atMost(Duration.ofSeconds(20)).until(() -> writer.acknowledged().size() >= 20);
                plane.send("switch", new SwitchoverRequested(UUID.randomUUID(), "switch", "switch-1", "switch-3",
                        epoch, "alice", Instant.now(), "planned maintenance of switch-1"));
                OperationUpdated op = await().atMost(Duration.ofSeconds(60)).until(() -> plane.operations("switch")
                        .stream().filter(o -> o.kind() == OperationKind.SWITCHOVER).findFirst().orElse(null),
                        o -> o != null && o.status().isFinal());
                assertThat(op.status()).as("error: %s", op.error()).isEqualTo(OperationStatus.SUCCEEDED);
                assertThat(op.initiator()).isEqualTo("alice");
                assertThat(op.phases()).extracting(OperationPhase::name).containsExactly(Phases.DECIDED,
                        Phases.FENCED, Phases.CAUGHT_UP, Phases.PROMOTED, Phases.REPOINTED, Phases.ANNOUNCED);
                System.out.println("switchover: " + op.phases().get(5).detail());
                int before = writer.acknowledged().size();
                await().atMost(Duration.ofSeconds(20)).until(() -> writer.acknowledged().size() >= before + 20);
                writer.stop();
                PostgresNode leader = pg.node("switch-3");
                assertThat(leader.isInRecovery()).isFalse();
                Set<Integer> stored = leader.query("SELECT id FROM t").stream()
                        .map(row -> ((Number) row.get("id")).intValue()).collect(Collectors.toSet());
                assertThat(stored).as("every acknowledged write is on the new leader")
                        .containsAll(writer.acknowledged());
                assertThat(plane.topology("switch")).satisfies(t -> {
                    assertThat(t.epoch()).isEqualTo(epoch + 1);
                    assertThat(t.leader()).isEqualTo("switch-3");
                });
                assertAnnouncedOnceAfterPromotion("switch", epoch, op);
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                        assertThat(pg.node("switch-2").walReceiverStatus()).contains("streaming"));
            }
        }
    }

    @Test
    void maintenanceSwitchedOnByCommandSuspendsFailoverUntilItsWindowEnds() throws Exception {
        QuarkusService failover = plane.startFailover("failover-maint", "group-maint", Map.of());
        try (PostgresCluster pg = cluster("maint", 0); AutoCloseable registered = FailoverIT::unregister) {
            long epoch = registerAndAwaitWatched(pg, List.of(failover));
            Instant until = Instant.now().plusSeconds(12);
            plane.send("maint", new MaintenanceChanged(UUID.randomUUID(), "maint", true, "oscar", Instant.now(),
                    "storage work", until));
            await().atMost(Duration.ofSeconds(15)).until(() -> plane.topology("maint").maintenance());

            pg.initialLeader().kill();
            Testkit.sleep(6_000); // four detection windows
            assertThat(plane.topology("maint").epoch()).as("no failover in maintenance").isEqualTo(epoch);
            assertThat(plane.operations("maint")).isEmpty();

            TopologyChanged after = await().atMost(Duration.ofSeconds(40))
                    .until(() -> plane.topology("maint"), t -> t.epoch() == epoch + 1);
            assertThat(after.maintenance()).isFalse();
            assertThat(Instant.now()).isAfter(until);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(onlyFailover("maint", epoch).status()).isEqualTo(OperationStatus.SUCCEEDED));
        }
    }

    /** Removes the test's clusters from the registry while their servers still run. */
    private static void unregister() throws Exception {
        for (AutoCloseable registration : registrations) {
            registration.close();
        }
        registrations.clear();
    }

    private static PostgresCluster cluster(String name, int synchronousK) {
        var builder = PostgresCluster.builder().name(name).nodes(3).controlRole(CONTROL_ROLE);
        if (synchronousK > 0) {
            builder.synchronousAny(synchronousK);
        }
        PostgresCluster pg = builder.start();
        pg.initialLeader().execute("CREATE TABLE t (id int PRIMARY KEY)");
        pg.initialLeader().execute("INSERT INTO t SELECT generate_series(1, 10)");
        return pg;
    }

    /**
     * Registers the cluster (removed again at the end of the test, before its servers stop) and
     * waits until its owner has read the registry and the agents see every node.
     */
    private static long registerAndAwaitWatched(PostgresCluster pg, List<QuarkusService> instances) {
        registrations.add(plane.register(pg, Map.of()));
        await().atMost(Duration.ofSeconds(30)).until(() -> owners(pg, instances).size() == 1);
        // three agents, three probes each of every node: enough history for a first decision
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() ->
                plane.nodeHealthObservers(pg.name()) >= 3);
        Testkit.sleep(2_000);
        return plane.topology(pg.name()).epoch();
    }

    private static List<QuarkusService> owners(PostgresCluster pg, List<QuarkusService> instances) {
        return instances.stream().filter(i -> i.process().isAlive() && plane.ownedBy(i).contains(pg.name()))
                .toList();
    }

    /** The first node other than the initial leader that accepts a write. */
    private static PostgresNode awaitNewLeader(PostgresCluster pg, Duration timeout) {
        return await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (PostgresNode node : pg.nodes()) {
                if (node != pg.initialLeader() && node.isRunning() && !node.isInRecovery()) {
                    return node;
                }
            }
            return null;
        }, node -> node != null);
    }

    private static Optional<OperationUpdated> failover(String cluster, long epoch) {
        return plane.operations(cluster).stream()
                .filter(o -> o.kind() == OperationKind.FAILOVER && Long.valueOf(epoch).equals(o.epochBefore()))
                .findFirst();
    }

    private static OperationUpdated onlyFailover(String cluster, long epoch) {
        List<OperationUpdated> failovers = plane.operations(cluster).stream()
                .filter(o -> o.kind() == OperationKind.FAILOVER).toList();
        assertThat(failovers).as("failover operations of %s", cluster).hasSize(1);
        assertThat(failovers.get(0).epochBefore()).isEqualTo(epoch);
        return failovers.get(0);
    }

    /** Invariants 1 and 2: one snapshot for the new epoch, none beyond it, taken after the promotion. */
    private static void assertAnnouncedOnceAfterPromotion(String cluster, long epoch, OperationUpdated op) {
        List<TopologyChanged> events = await().atMost(Duration.ofSeconds(20)).until(
                () -> plane.topologyEvents(cluster), e -> e.stream().anyMatch(t -> t.epoch() == epoch + 1));
        List<TopologyChanged> announced = events.stream().filter(t -> t.epoch() == epoch + 1).toList();
        assertThat(announced).as("snapshots of epoch %d", epoch + 1).hasSize(1);
        assertThat(announced.get(0).leader()).isEqualTo(op.toNode());
        assertThat(announced.get(0).operationId()).isEqualTo(op.operationId());
        assertThat(events).noneMatch(t -> t.epoch() > epoch + 1);
        OperationPhase promoted = op.phases().stream().filter(p -> p.name().equals(Phases.PROMOTED)).findFirst()
                .orElseThrow();
        assertThat(announced.get(0).changedAt()).isAfterOrEqualTo(promoted.at());
    }
}
