package io.regent.engines.postgres;

import static io.regent.engines.postgres.Targets.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.engines.Observer;
import io.regent.testkit.OsUser;
import io.regent.testkit.postgres.Credentials;
import io.regent.testkit.postgres.PostgresBinaries;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Healing back to full redundancy on real servers: an old leader killed with SIGKILL is rewound
 * onto the new leader's timeline and streams the rows written after the failover; a follower whose
 * data directory is gone is rebuilt. The rewind's source role is Regent's least-privilege role.
 */
class PostgresNodeRepairTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final PostgresAdapter adapter = new PostgresAdapter(new Observer("repair-test", "zone-t"), false);
    private final PostgresNodeRepair repair = new PostgresNodeRepair("regent-repair-test");
    private final PostgresNodeControl control = new PostgresNodeControl();

    @AfterEach
    void close() {
        adapter.close();
    }

    @Test
    void aKilledOldLeaderIsRewoundAndStreamsFromTheNewLeader() {
        try (PostgresCluster cluster = PostgresCluster.builder().name("rejoin").nodes(3).start()) {
            PostgresNode old = cluster.node("rejoin-1");
            PostgresNode leader = cluster.node("rejoin-2");
            PostgresNode other = cluster.node("rejoin-3");
            old.execute("CREATE TABLE t (id int PRIMARY KEY)");
            old.execute("INSERT INTO t SELECT generate_series(1, 100)");
            cluster.awaitCaughtUp(Duration.ofSeconds(10));
            old.kill();
            adapter.promote(target(cluster, leader), TIMEOUT);
            adapter.unfence(target(cluster, leader), java.util.List.of(), 0, TIMEOUT);
            adapter.follow(target(cluster, other), target(cluster, leader), TIMEOUT);
            leader.execute("INSERT INTO t SELECT generate_series(101, 200)");

            long started = System.nanoTime();
            LocalNode local = local(cluster, old);
            assertThat(control.isRunning(local)).isFalse();
            PostgresNodeRepair.Outcome outcome = repair.rewind(local, target(cluster, leader), TIMEOUT);
            control.start(local, old.dataDirectory().resolveSibling("pg_ctl.log"), TIMEOUT); // as an agent would
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
                assertThat(old.walReceiverStatus()).contains("streaming");
                assertThat(old.queryValue("SELECT count(*) FROM t")).isEqualTo(200L);
            });
            long millis = Duration.ofNanos(System.nanoTime() - started).toMillis();
            System.out.println("rejoin of a killed leader: rewind + start + streaming in " + millis + " ms");

            assertThat(outcome.rewound()).as(outcome.detail()).isTrue();
            assertThat(old.isInRecovery()).isTrue();
            assertThat(old.timeline()).isEqualTo(2);
            assertThat(old.queryValue("SHOW port")).isEqualTo(Integer.toString(old.port()));
            assertThat(old.queryValue("SHOW cluster_name")).isEqualTo("rejoin-1");
            assertThat(leader.queryValue("SELECT count(*) FROM pg_stat_replication WHERE application_name = 'rejoin-1'"))
                    .isEqualTo(1L);

            assertThat(control.isRunning(local)).isTrue();
            control.stop(local, PostgresNodeControl.StopMode.FAST, TIMEOUT);
            assertThat(control.isRunning(local)).isFalse();
            assertThat(old.dataDirectory().resolve("postmaster.pid")).doesNotExist(); // a clean shutdown
        }
    }

    @Test
    void aFollowerWithoutItsDataDirectoryIsRebuilt() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().name("rebuild").nodes(2).start()) {
            PostgresNode leader = cluster.initialLeader();
            PostgresNode follower = cluster.node("rebuild-2");
            leader.execute("CREATE TABLE t AS SELECT generate_series(1, 1000) AS id");
            follower.stop();
            deleteRecursively(follower.dataDirectory());

            repair.rebuild(local(cluster, follower), target(cluster, leader), TIMEOUT);
            follower.start();
            leader.execute("INSERT INTO t VALUES (1001)");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(follower.walReceiverStatus()).contains("streaming");
                assertThat(follower.queryValue("SELECT count(*) FROM t")).isEqualTo(1001L);
            });
            assertThat(follower.queryValue("SHOW port")).isEqualTo(Integer.toString(follower.port()));
        }
    }

    private static LocalNode local(PostgresCluster cluster, PostgresNode node) {
        Credentials replication = cluster.replicationUser();
        return new LocalNode(node.name(), node.dataDirectory(), PostgresBinaries.locate().binDirectory(),
                Optional.of(OsUser.forServers().name()),
                Map.of("port", Integer.toString(node.port()), "cluster_name", node.name()), replication.user(),
                replication.password());
    }

    private static void deleteRecursively(Path dir) throws java.io.IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
