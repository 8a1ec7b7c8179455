package io.regent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.engines.NodeTarget;
import io.regent.engines.Observer;
import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.ProbeErrorKind;
import io.regent.events.SemiSyncState;
import io.regent.testkit.mariadb.MariaDbCluster;
import io.regent.testkit.mariadb.MariaDbNode;
import io.regent.testkit.postgres.Credentials;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The MariaDB probe against a real 3-node GTID cluster, as Regent's least-privilege monitoring user. */
class MariaDbAdapterTest {

    private static final Duration TIMEOUT = Duration.ofMillis(800);
    private static MariaDbCluster cluster;

    private final MariaDbAdapter adapter = new MariaDbAdapter(new Observer("test", "zone-t"), true);

    @BeforeAll
    static void startCluster() {
        cluster = MariaDbCluster.start("probe", 3);
        cluster.initialLeader().execute("CREATE DATABASE app");
        cluster.initialLeader().execute("CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB");
        cluster.awaitCaughtUp(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void closeAdapter() {
        adapter.close();
    }

    @Test
    void leaderAndFollowersAreReportedWithRolesGtidPositionsAndZeroLag() {
        MariaDbNode leader = cluster.initialLeader();
        NodeObserved l = adapter.probe(target(leader), TIMEOUT);
        assertThat(l.reachable()).as("%s", l.error()).isTrue();
        assertThat(l.engine()).isEqualTo(Engine.MARIADB);
        assertThat(l.role()).isEqualTo(NodeRole.LEADER);
        assertThat(l.readOnly()).isFalse();
        assertThat(l.serverVersion()).contains("MariaDB");
        long position = GtidPosition.parse(leader.gtidBinlogPos()).sequence(0);
        assertThat(l.currentLsn()).isPositive().isLessThanOrEqualTo(position + 1); // +1: its own heartbeat

        long afterBeat = GtidPosition.parse(leader.gtidBinlogPos()).sequence(0);
        for (MariaDbNode node : cluster.nodes().subList(1, 3)) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                NodeObserved f = adapter.probe(target(node), TIMEOUT);
                assertThat(f.reachable()).as("%s", f.error()).isTrue();
                assertThat(f.role()).isEqualTo(NodeRole.FOLLOWER);
                assertThat(f.readOnly()).isTrue();
                assertThat(f.currentLsn()).isNull();
                assertThat(f.receivedLsn()).isGreaterThanOrEqualTo(afterBeat);
                assertThat(f.replayedLsn()).isEqualTo(f.receivedLsn());
                assertThat(f.lagBytes()).isZero();
                assertThat(f.lagMillis()).isZero();
                assertThat(f.walReceiver().status()).isEqualTo("streaming");
                assertThat(f.walReceiver().senderPort()).isEqualTo(leader.port());
                // the full sets: the follower holds the leader's stream up to what it received
                assertThat(GtidPosition.errant(f.executedGtids(), f.receivedGtids())).isEmpty();
                assertThat(f.receivedGtids()).contains("0-" + leader.serverId() + "-");
                assertThat(GtidPosition.errant(l.executedGtids(), f.receivedGtids()))
                        .as("what the leader held when probed, the follower received").isEmpty();
                assertThat(f.semiSync()).isEqualTo(new SemiSyncState(false, false, 0, 0L, false, false));
            });
        }
        // the leader's executed set is its binlog state: its own stream, and no received set
        assertThat(l.receivedGtids()).isNull();
        assertThat(GtidPosition.errant(l.executedGtids(), (String) leader.queryValue("SELECT @@gtid_binlog_state")))
                .isEmpty();
        assertThat(l.executedGtids()).contains("0-" + leader.serverId() + "-");
        assertThat(l.semiSync().leaderEnabled()).as("asynchronous cluster").isFalse();
    }

    @Test
    void aHealthyNodeIsProbedOverOneKeptSessionAndTheLeaderGetsAHeartbeat() {
        MariaDbNode leader = cluster.initialLeader();
        NodeObserved first = adapter.probe(target(leader), TIMEOUT);
        NodeObserved last = first;
        for (int i = 0; i < 10; i++) {
            last = adapter.probe(target(leader), TIMEOUT);
            assertThat(last.reachable()).isTrue();
        }
        assertThat(leader.queryValue("SELECT count(*) FROM information_schema.PROCESSLIST WHERE USER = 'regent'"))
                .isEqualTo(1L);
        // each probe of a writable leader writes a heartbeat row: a transaction, so the position moves
        assertThat(last.currentLsn()).isGreaterThan(first.currentLsn());
    }

    @Test
    void lagRisesWhileAFollowerDoesNotApplyAndFallsBackToZero() {
        MariaDbNode stalled = cluster.nodes().get(2);
        stalled.execute("STOP SLAVE SQL_THREAD");
        try {
            for (int i = 0; i < 20; i++) {
                cluster.initialLeader().execute("INSERT INTO app.t (v) VALUES (" + i + ")");
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                NodeObserved f = adapter.probe(target(stalled), TIMEOUT);
                assertThat(f.lagBytes()).as("transactions received, not applied").isGreaterThanOrEqualTo(20);
                assertThat(f.walReceiver().status()).isEqualTo("streaming");
                // what it would hold once promoted (the relay log applied) is ahead of what it executed
                assertThat(GtidPosition.errant(f.receivedGtids(), f.executedGtids())).singleElement()
                        .satisfies(g -> assertThat(g.sequence()).isGreaterThanOrEqualTo(f.replayedLsn() + 20));
            });
        } finally {
            stalled.execute("START SLAVE SQL_THREAD");
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(adapter.probe(target(stalled), TIMEOUT).lagBytes()).isZero());
    }

    @Test
    void aFrozenNodeTimesOutWithinTheTimeoutAndKeepsItsSession() throws Exception {
        MariaDbNode follower = cluster.nodes().get(1);
        assertThat(adapter.probe(target(follower), TIMEOUT).reachable()).isTrue();
        follower.freeze();
        try {
            CompletableFuture<NodeObserved> stuck = CompletableFuture.supplyAsync(
                    () -> adapter.probe(target(follower), TIMEOUT));
            NodeObserved leader = adapter.probe(target(cluster.initialLeader()), TIMEOUT);
            NodeObserved frozen = stuck.get();
            assertThat(leader.reachable()).as("the others are probed meanwhile").isTrue();
            assertThat(frozen.reachable()).isFalse();
            assertThat(frozen.error().kind()).isEqualTo(ProbeErrorKind.TIMEOUT);
            assertThat(frozen.probeMillis()).isBetween(TIMEOUT.toMillis() - 50, TIMEOUT.toMillis() + 400);
        } finally {
            follower.thaw();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> adapter.probe(target(follower), TIMEOUT).reachable());
    }

    /** The follower-witness rule's input: MariaDB keeps no such time, the probes tell it from the IO thread. */
    @Test
    void aFollowerTellsWhenItLastReadFromItsLeaderAndStopsWhenTheLeaderFreezes() throws Exception {
        MariaDbNode follower = cluster.nodes().get(1);
        // idle leader (no probe of it here, so no heartbeat rows): the replication heartbeat alone moves it
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            Instant heard = adapter.probe(target(follower), TIMEOUT).walReceiver().lastMessageReceivedAt();
            assertThat(heard).isNotNull().isAfter(Instant.now().minusMillis(1_000));
        });
        MariaDbNode leader = cluster.initialLeader();
        leader.freeze();
        Instant frozenAt = Instant.now();
        try {
            Instant heard = null;
            for (long end = System.nanoTime() + 3_000_000_000L; System.nanoTime() < end; Thread.sleep(200)) {
                heard = adapter.probe(target(follower), TIMEOUT).walReceiver().lastMessageReceivedAt();
            }
            assertThat(heard).as("nothing read from a frozen leader").isBefore(frozenAt.plusMillis(400));
            assertThat(adapter.probe(target(follower), TIMEOUT).walReceiver().lastMessageAgeMillis())
                    .as("the age grows while the leader is frozen").isGreaterThanOrEqualTo(2_500L);
        } finally {
            leader.thaw();
        }
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(adapter.probe(target(follower), TIMEOUT).walReceiver().lastMessageReceivedAt())
                        .isAfter(Instant.now().minusMillis(1_000)));
    }

    @Test
    void aWrongPasswordIsAnAuthenticationErrorWithoutThePassword() {
        MariaDbNode node = cluster.initialLeader();
        NodeTarget wrong = new NodeTarget("probe", node.name(), node.host(), node.port(), Engine.MARIADB,
                cluster.monitorUser().user(), "not-the-password", null);
        NodeObserved observed = adapter.probe(wrong, TIMEOUT);
        assertThat(observed.reachable()).isFalse();
        assertThat(observed.error().kind()).isEqualTo(ProbeErrorKind.AUTH);
        assertThat(observed.error().message()).doesNotContain("not-the-password");
    }

    @Test
    void aStoppedServerIsRefused() {
        MariaDbNode node = cluster.nodes().get(2);
        assertThat(adapter.probe(target(node), TIMEOUT).reachable()).isTrue();
        node.stop();
        try {
            NodeObserved observed = adapter.probe(target(node), TIMEOUT);
            assertThat(observed.reachable()).isFalse();
            assertThat(observed.error().kind()).isEqualTo(ProbeErrorKind.REFUSED);
        } finally {
            node.start();
        }
        cluster.awaitCaughtUp(Duration.ofSeconds(30));
    }

    private static NodeTarget target(MariaDbNode node) {
        Credentials monitor = cluster.monitorUser();
        return new NodeTarget("probe", node.name(), node.host(), node.port(), Engine.MARIADB, monitor.user(),
                monitor.password(), null);
    }
}
