package io.regent.engines.postgres;

import static io.regent.engines.postgres.Targets.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.engines.NodeTarget;
import io.regent.engines.Observer;
import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.ProbeErrorKind;
import io.regent.events.ReplicaState;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Probes of real PostgreSQL servers with Regent's least-privilege role, healthy and failing. */
class PostgresAdapterTest {

    private static final Duration TIMEOUT = Duration.ofMillis(800);
    /** The backend of the adapter's session on a node. */
    private static final String AGENT_SESSION =
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'regent-agent-test'";

    private final PostgresAdapter adapter = new PostgresAdapter(new Observer("test", "zone-t"), true);

    @AfterEach
    void closeAdapter() {
        adapter.close();
    }

    @Test
    void leaderAndFollowersAreReportedWithRolesPositionsAndZeroLag() {
        try (PostgresCluster cluster = PostgresCluster.builder().name("probe").nodes(3).synchronousAny(1).start()) {
            PostgresNode leader = cluster.initialLeader();
            leader.execute("CREATE TABLE t AS SELECT generate_series(1, 1000) AS id");
            cluster.awaitCaughtUp(Duration.ofSeconds(10));

            long before = leader.walPositions().current();
            NodeObserved l = adapter.probe(target(cluster, leader), TIMEOUT);
            assertThat(l.reachable()).as("%s", l.error()).isTrue();
            assertThat(l.role()).isEqualTo(NodeRole.LEADER);
            assertThat(l.readOnly()).isFalse();
            assertThat(l.timeline()).isEqualTo(1L);
            assertThat(l.currentLsn()).isGreaterThanOrEqualTo(before);
            assertThat(l.synchronousStandbyNames()).isEqualTo("ANY 1 (\"probe-2\", \"probe-3\")");
            assertThat(l.serverVersion()).startsWith("1");
            assertThat(l.replicas()).extracting(ReplicaState::name).containsExactly("probe-2", "probe-3");
            assertThat(l.replicas()).allSatisfy(r -> {
                assertThat(r.state()).isEqualTo("streaming");
                assertThat(r.syncState()).isEqualTo("quorum");
                assertThat(r.sentLsn()).isPositive();
                assertThat(r.clientAddress()).isEqualTo("127.0.0.1");
            });

            for (PostgresNode node : cluster.nodes().subList(1, 3)) {
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    NodeObserved f = adapter.probe(target(cluster, node), TIMEOUT);
                    assertThat(f.reachable()).isTrue();
                    assertThat(f.role()).isEqualTo(NodeRole.FOLLOWER);
                    assertThat(f.readOnly()).isTrue();
                    assertThat(f.timeline()).isEqualTo(1L);
                    assertThat(f.currentLsn()).isNull();
                    assertThat(f.receivedLsn()).isGreaterThanOrEqualTo(l.currentLsn());
                    assertThat(f.lagBytes()).isZero();
                    assertThat(f.lagMillis()).isZero();
                    assertThat(f.walReceiver().status()).isEqualTo("streaming");
                    assertThat(f.walReceiver().senderPort()).isEqualTo(leader.port());
                    assertThat(f.walReceiver().lastMessageReceivedAt()).isNotNull();
                    // measured on the follower's own clock: an idle leader still sends keepalives (10 s default)
                    assertThat(f.walReceiver().lastMessageAgeMillis()).isBetween(0L, 11_000L);
                    assertThat(f.replicas()).isEmpty();
                });
            }
            assertThat(l.observerId()).isEqualTo("test");
            assertThat(l.observerZone()).isEqualTo("zone-t");
            assertThat(l.engine()).isEqualTo(Engine.POSTGRESQL);
            assertThat(l.node()).isEqualTo("probe-1");
            assertThat(l.clusterId()).isEqualTo("probe");

            // a restarted standby reconnects through a new WAL sender: still named, still in name order
            PostgresNode restarted = cluster.nodes().get(1);
            restarted.stop();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    adapter.probe(target(cluster, leader), TIMEOUT).replicas()).extracting(ReplicaState::name)
                    .containsExactly("probe-3"));
            restarted.start();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                NodeObserved again = adapter.probe(target(cluster, leader), TIMEOUT);
                assertThat(again.replicas()).extracting(ReplicaState::name).containsExactly("probe-2", "probe-3");
                assertThat(again.replicas()).extracting(ReplicaState::clientAddress).containsOnly("127.0.0.1");
            });
        }
    }

    @Test
    void aHealthyNodeIsProbedOverOneReusedConnectionAndTheLeaderGetsAHeartbeat() {
        try (PostgresCluster cluster = PostgresCluster.builder().name("reuse").nodes(2).start()) {
            PostgresNode leader = cluster.initialLeader();
            NodeTarget target = target(cluster, leader);
            NodeObserved first = adapter.probe(target, TIMEOUT);
            NodeObserved last = first;
            for (int i = 0; i < 20; i++) {
                last = adapter.probe(target, TIMEOUT);
                assertThat(last.reachable()).isTrue();
            }

            assertThat(adapter.idleConnections()).isEqualTo(1);
            assertThat(leader.queryValue("SELECT count(*) FROM pg_stat_activity "
                    + "WHERE application_name = 'regent-agent-test'")).isEqualTo(1L);
            // each probe of an idle leader writes a tiny heartbeat record, so its position moves
            assertThat(last.currentLsn()).isGreaterThan(first.currentLsn());
        }
    }

    @Test
    void lagRisesUnderWritesWhileAFollowerIsStalledAndFallsBackToZero() {
        try (PostgresCluster cluster = PostgresCluster.builder().name("lag").nodes(3).synchronousAny(1).start()) {
            PostgresNode leader = cluster.initialLeader();
            PostgresNode slow = cluster.node("lag-3");
            leader.execute("CREATE TABLE load (id bigint, payload text)");
            cluster.awaitCaughtUp(Duration.ofSeconds(10));

            slow.freeze();
            try {
                leader.execute("INSERT INTO load SELECT g, repeat('x', 500) FROM generate_series(1, 20000) g");
                NodeObserved during = adapter.probe(target(cluster, leader), TIMEOUT);
                ReplicaState stalled = replica(during, "lag-3");
                assertThat(stalled.lagBytes()).as("leader's view of the stalled follower").isGreaterThan(5_000_000L);
                // the synchronous quorum kept committing through the healthy follower
                assertThat(replica(during, "lag-2").flushLsn()).isGreaterThan(stalled.flushLsn() + 5_000_000L);
            } finally {
                slow.thaw();
            }

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                NodeObserved after = adapter.probe(target(cluster, leader), TIMEOUT);
                assertThat(replica(after, "lag-3").lagBytes()).isZero();
                NodeObserved follower = adapter.probe(target(cluster, slow), TIMEOUT);
                assertThat(follower.lagBytes()).isZero();
                assertThat(follower.lagMillis()).isZero();
            });
        }
    }

    @Test
    void aKilledLeaderIsRefusedAndItsFollowersStopStreaming() {
        try (PostgresCluster cluster = PostgresCluster.builder().name("dead").nodes(2).start()) {
            PostgresNode leader = cluster.initialLeader();
            assertThat(adapter.probe(target(cluster, leader), TIMEOUT).reachable()).isTrue();

            leader.kill();

            NodeObserved probe = adapter.probe(target(cluster, leader), TIMEOUT);
            assertThat(probe.reachable()).isFalse();
            assertThat(probe.error().kind()).isEqualTo(ProbeErrorKind.REFUSED);
            assertThat(probe.probeMillis()).isLessThan(TIMEOUT.toMillis());
            assertThat(adapter.idleConnections()).isZero();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                NodeObserved follower = adapter.probe(target(cluster, cluster.node("dead-2")), TIMEOUT);
                assertThat(follower.reachable()).isTrue();
                assertThat(follower.role()).isEqualTo(NodeRole.FOLLOWER);
                assertThat(follower.walReceiver() == null ? "none" : follower.walReceiver().status())
                        .isNotEqualTo("streaming");
            });
        }
    }

    @Test
    void aFrozenNodeTimesOutWithinTheTimeoutWhileTheOthersAnswerAtOnceAndKeepsItsSession() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().name("stuck").nodes(3).start()) {
            PostgresNode leader = cluster.initialLeader();
            for (PostgresNode node : cluster.nodes()) {
                assertThat(adapter.probe(target(cluster, node), TIMEOUT).reachable()).isTrue();
            }
            Object session = leader.queryValue(AGENT_SESSION);

            leader.freeze();
            try {
                // one probe whose statements hang, one that waits for them: both time out
                CompletableFuture<NodeObserved> stuck = CompletableFuture.supplyAsync(
                        () -> adapter.probe(target(cluster, leader), TIMEOUT));
                long others = System.nanoTime();
                for (PostgresNode follower : cluster.nodes().subList(1, 3)) {
                    assertThat(adapter.probe(target(cluster, follower), TIMEOUT).reachable()).isTrue();
                }
                long othersMillis = (System.nanoTime() - others) / 1_000_000;
                NodeObserved reused = stuck.get();
                NodeObserved fresh = adapter.probe(target(cluster, leader), TIMEOUT);

                for (NodeObserved result : List.of(reused, fresh)) {
                    assertThat(result.reachable()).isFalse();
                    assertThat(result.error().kind()).isEqualTo(ProbeErrorKind.TIMEOUT);
                    assertThat(result.probeMillis()).isBetween(TIMEOUT.toMillis() - 50, TIMEOUT.toMillis() + 400);
                }
                assertThat(othersMillis).as("followers probed while the leader hangs").isLessThan(500);
            } finally {
                leader.thaw();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> adapter.probe(target(cluster, leader), TIMEOUT)
                    .reachable());
            // the late answer handed the session back: no second login on a server that was only slow
            assertThat(leader.queryValue(AGENT_SESSION)).isEqualTo(session);
            assertThat(leader.queryValue("SELECT count(*) FROM pg_stat_activity "
                    + "WHERE application_name = 'regent-agent-test'")).isEqualTo(1L);
        }
    }

    @Test
    void aWrongPasswordIsAnAuthenticationError() {
        try (PostgresCluster cluster = PostgresCluster.builder().name("auth").nodes(1).start()) {
            PostgresNode node = cluster.initialLeader();
            NodeTarget wrong = new NodeTarget("auth", node.name(), node.host(), node.port(), Engine.POSTGRESQL,
                    cluster.controlRole().user(), "not-the-password", "postgres");

            NodeObserved probe = adapter.probe(wrong, TIMEOUT);

            assertThat(probe.reachable()).isFalse();
            assertThat(probe.error().kind()).isEqualTo(ProbeErrorKind.AUTH);
            assertThat(probe.error().message()).doesNotContain("not-the-password");
            assertThat(wrong.toString()).doesNotContain("not-the-password");
        }
    }

    private static ReplicaState replica(NodeObserved leader, String name) {
        return leader.replicas().stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(name + " not among " + leader.replicas()));
    }
}
