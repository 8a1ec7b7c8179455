package io.regent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.regent.engines.EngineActionException;
import io.regent.engines.NodeTarget;
import io.regent.engines.Observer;
import io.regent.events.Engine;
import io.regent.testkit.mariadb.MariaDbCluster;
import io.regent.testkit.mariadb.MariaDbNode;
import io.regent.testkit.postgres.Credentials;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Promote, follow, rejoin and fence on a real MariaDB cluster, as Regent's action user. */
class MariaDbActionsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private MariaDbAdapter adapter = new MariaDbAdapter(new Observer("test", "zone-t"), false);

    @AfterEach
    void closeAdapter() {
        adapter.close();
    }

    @Test
    void afterAFailoverTheFollowersFollowTheNewLeaderAndTheOldLeaderRejoins() throws Exception {
        try (MariaDbCluster cluster = MariaDbCluster.start("follow", 3)) {
            useReplicationLogin(cluster);
            MariaDbNode old = cluster.initialLeader();
            MariaDbNode promoted = cluster.node("follow-2");
            MariaDbNode other = cluster.node("follow-3");
            old.execute("CREATE DATABASE app");
            old.execute("CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB");
            old.execute("INSERT INTO app.t (v) VALUES (1)");
            cluster.awaitCaughtUp(TIMEOUT);
            old.kill();
            adapter.promote(control(cluster, promoted), TIMEOUT);

            assertThatThrownBy(() -> adapter.follow(control(cluster, promoted), control(cluster, other), TIMEOUT))
                    .as("a leader is rejoined, never just re-pointed").hasMessageContaining("acts as a leader");
            adapter.follow(control(cluster, other), control(cluster, promoted), TIMEOUT);
            adapter.follow(control(cluster, other), control(cluster, promoted), TIMEOUT); // again: a no-op

            old.start(); // comes back read-only, with no replication configured
            adapter.rejoin(control(cluster, old), control(cluster, promoted), TIMEOUT);
            adapter.rejoin(control(cluster, old), control(cluster, promoted), TIMEOUT); // again: a no-op

            promoted.execute("INSERT INTO app.t (v) VALUES (2)");
            String written = promoted.gtidBinlogPos();
            for (MariaDbNode node : java.util.List.of(other, old)) {
                await().atMost(TIMEOUT).until(() -> written.equals(node.gtidSlavePos()));
                assertThat(node.queryValue("SELECT count(*) FROM app.t")).as(node.name()).isEqualTo(2L);
                assertThat(node.isReadOnly()).as(node.name()).isTrue();
                Map<String, Object> status = node.query("SHOW SLAVE STATUS").get(0);
                assertThat(status.get("Master_Port")).as(node.name()).hasToString(Integer.toString(promoted.port()));
                assertThat(status.get("Using_Gtid")).as(node.name()).isEqualTo("Slave_Pos");
            }
        }
    }

    @Test
    void anOldLeaderThatTookWritesAfterTheFailoverIsNotRejoined() {
        try (MariaDbCluster cluster = MariaDbCluster.start("errant", 2)) {
            useReplicationLogin(cluster);
            MariaDbNode old = cluster.initialLeader();
            MariaDbNode promoted = cluster.node("errant-2");
            old.execute("CREATE DATABASE app");
            old.execute("CREATE TABLE app.t (id INT PRIMARY KEY) ENGINE=InnoDB");
            cluster.awaitCaughtUp(TIMEOUT);
            promoted.execute("STOP SLAVE"); // a partition: what the old leader writes now never arrives
            adapter.promote(control(cluster, promoted), TIMEOUT);
            promoted.execute("INSERT INTO app.t VALUES (1)");
            old.execute("INSERT INTO app.t VALUES (2)"); // the split brain's write: same sequence number
            String errant = old.gtidBinlogPos();
            assertThat(GtidPosition.parse(errant).sequence(0)).as("the same sequence number on both sides")
                    .isEqualTo(GtidPosition.parse(promoted.gtidBinlogPos()).sequence(0));

            assertThatThrownBy(() -> adapter.rejoin(control(cluster, old), control(cluster, promoted), TIMEOUT))
                    .isInstanceOf(EngineActionException.class)
                    .hasMessageContaining("refused")
                    .hasMessageContaining("[" + errant + "]")
                    .hasMessageContaining("Rebuild it from errant-2");
            assertThat(old.isReadOnly()).as("it takes no more writes").isTrue();
            assertThat(old.query("SHOW SLAVE STATUS")).as("and replicates nothing").isEmpty();
            assertThat(old.queryValue("SELECT count(*) FROM app.t WHERE id = 2")).as("nothing is discarded")
                    .isEqualTo(1L);
        }
    }

    @Test
    void aSwitchoverTargetIsWaitedForUntilItAppliedEverythingTheFencedLeaderAcknowledged() {
        try (MariaDbCluster cluster = MariaDbCluster.start("barrier", 2)) {
            MariaDbNode leader = cluster.initialLeader();
            MariaDbNode target = cluster.node("barrier-2");
            leader.execute("CREATE DATABASE app");
            leader.execute("CREATE TABLE app.t (id INT PRIMARY KEY) ENGINE=InnoDB");
            cluster.awaitCaughtUp(TIMEOUT);
            target.execute("STOP SLAVE SQL_THREAD"); // it receives, but applies nothing
            leader.execute("INSERT INTO app.t VALUES (1)");
            adapter.fence(control(cluster, leader), TIMEOUT);

            long barrier = adapter.writeBarrier(control(cluster, leader), TIMEOUT);

            assertThat(barrier).isEqualTo(GtidPosition.parse(leader.gtidBinlogPos()).sequence(0));
            assertThatThrownBy(() -> adapter.awaitReplayed(control(cluster, target), barrier, Duration.ofSeconds(1)))
                    .isInstanceOf(EngineActionException.class).hasMessageContaining("applied " + (barrier - 1) + " of "
                            + barrier);
            target.execute("START SLAVE SQL_THREAD");
            adapter.awaitReplayed(control(cluster, target), barrier, TIMEOUT);
            assertThat(target.queryValue("SELECT count(*) FROM app.t")).isEqualTo(1L);
        }
    }

    @Test
    void afterAFailoverSemiSynchronousCommitsWaitForTheRemainingReplicaAndNeverFallBack() throws Exception {
        try (MariaDbCluster cluster = MariaDbCluster.startSemiSynchronous("semi", 3, null)) {
            MariaDbNode promoted = cluster.node("semi-2");
            MariaDbNode other = cluster.node("semi-3");
            cluster.initialLeader().execute("CREATE DATABASE app");
            cluster.initialLeader().execute("CREATE TABLE app.t (id INT PRIMARY KEY) ENGINE=InnoDB");
            cluster.awaitCaughtUp(TIMEOUT);
            cluster.initialLeader().kill();
            adapter.promote(control(cluster, promoted), TIMEOUT);

            assertThatThrownBy(() -> adapter.configureSynchronous(control(cluster, promoted), java.util.List.of(
                    "semi-1", "semi-3"), 2, TIMEOUT)).hasMessageContaining("one replica's acknowledgement at most");
            adapter.configureSynchronous(control(cluster, promoted), java.util.List.of("semi-1", "semi-3"), 1, TIMEOUT);
            adapter.configureSynchronous(control(cluster, promoted), java.util.List.of("semi-1", "semi-3"), 1, TIMEOUT);
            adapter.follow(control(cluster, other), control(cluster, promoted), TIMEOUT);
            assertThat(promoted.queryValue("SELECT @@rpl_semi_sync_master_wait_point")).isEqualTo("AFTER_SYNC");
            await().atMost(TIMEOUT).until(() -> "1".equals(String.valueOf(promoted.queryValue(
                    "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                            + "WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_CLIENTS'"))));
            promoted.execute("INSERT INTO app.t VALUES (1)"); // semi-3 acknowledges

            other.stop(); // no replica left to acknowledge
            java.util.concurrent.CompletableFuture<Void> write = java.util.concurrent.CompletableFuture.runAsync(
                    () -> promoted.execute("INSERT INTO app.t VALUES (2)"));
            Thread.sleep(3_000);
            assertThat(write).as("not acknowledged without a replica, and no fallback to asynchronous").isNotDone();
            other.start();
            write.get(30, java.util.concurrent.TimeUnit.SECONDS); // acknowledged once a replica has it
            assertThat(other.queryValue("SELECT @@rpl_semi_sync_master_enabled")).as("a follower never waits")
                    .hasToString("0");

            adapter.configureSynchronous(control(cluster, promoted), java.util.List.of(), 0, TIMEOUT);
            assertThat(promoted.queryValue("SELECT @@rpl_semi_sync_master_enabled")).hasToString("0");
        }
    }

    private void useReplicationLogin(MariaDbCluster cluster) {
        adapter.close();
        adapter = new MariaDbAdapter(new Observer("test", "zone-t"), false, new ReplicationLogin(
                cluster.replicationUser().user(), cluster.replicationUser().password()));
    }

    @Test
    void aPromotedFollowerAppliesEverythingItReceivedBeforeTakingWrites() {
        try (MariaDbCluster cluster = MariaDbCluster.start("promote", 3)) {
            MariaDbNode leader = cluster.initialLeader();
            MariaDbNode follower = cluster.node("promote-2");
            leader.execute("CREATE DATABASE app");
            leader.execute("CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB");
            cluster.awaitCaughtUp(TIMEOUT);
            follower.execute("STOP SLAVE SQL_THREAD"); // received, not applied
            for (int i = 0; i < 30; i++) {
                leader.execute("INSERT INTO app.t (v) VALUES (" + i + ")");
            }
            String written = leader.gtidBinlogPos();
            await().atMost(Duration.ofSeconds(10)).until(() -> written.equals(
                    follower.query("SHOW SLAVE STATUS").get(0).get("Gtid_IO_Pos")));
            assertThat(follower.queryValue("SELECT count(*) FROM app.t")).isEqualTo(0L);
            leader.kill();

            adapter.promote(control(cluster, follower), TIMEOUT);

            assertThat(follower.isReadOnly()).as("promoted into a fence").isTrue();
            assertThat(follower.query("SHOW SLAVE STATUS")).isEmpty();
            assertThat(follower.queryValue("SELECT count(*) FROM app.t")).as("nothing it received is lost")
                    .isEqualTo(30L);
            adapter.promote(control(cluster, follower), TIMEOUT); // again: already done, succeeds, still fenced
            assertThat(follower.isReadOnly()).isTrue();
            assertThatThrownBy(() -> adapter.unfence(control(cluster, cluster.initialLeader()), java.util.List.of(), 0,
                    Duration.ofSeconds(2))).as("the killed leader").isInstanceOf(EngineActionException.class);
            adapter.unfence(control(cluster, follower), java.util.List.of(), 0, TIMEOUT);
            adapter.unfence(control(cluster, follower), java.util.List.of(), 0, TIMEOUT); // again: a no-op
            assertThat(follower.isReadOnly()).isFalse();
            follower.execute("INSERT INTO app.t (v) VALUES (100)");
        }
    }

    @Test
    void aFencedLeaderRefusesWritesEndsClientSessionsAndKeepsFeedingItsFollowers() throws Exception {
        try (MariaDbCluster cluster = MariaDbCluster.start("fence", 2)) {
            MariaDbNode leader = cluster.initialLeader();
            leader.execute("CREATE DATABASE app");
            leader.execute("CREATE TABLE app.t (id INT PRIMARY KEY) ENGINE=InnoDB");
            try (Connection client = leader.connect(); Statement statement = client.createStatement()) {
                statement.execute("INSERT INTO app.t VALUES (1)");

                adapter.fence(control(cluster, leader), TIMEOUT);

                assertThat(leader.isReadOnly()).isTrue();
                assertThatThrownBy(() -> statement.execute("INSERT INTO app.t VALUES (2)"))
                        .as("the client's session was ended").isInstanceOf(SQLException.class);
            }
            try (Connection monitor = leader.connect(cluster.monitorUser());
                 Statement statement = monitor.createStatement()) {
                assertThatThrownBy(() -> statement.execute("INSERT INTO regent.heartbeat VALUES (1, now(6), 1)"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("read-only");
            }
            assertThat(cluster.node("fence-2").isReplicating()).as("replication threads are not clients").isTrue();
            adapter.fence(control(cluster, leader), TIMEOUT); // again: already done, succeeds
            assertThat(leader.isReadOnly()).isTrue();
            assertThat(leader.queryValue("SELECT count(*) FROM app.t")).isEqualTo(1L);
        }
    }

    private static NodeTarget control(MariaDbCluster cluster, MariaDbNode node) {
        Credentials control = cluster.controlUser();
        return new NodeTarget(cluster.name(), node.name(), node.host(), node.port(), Engine.MARIADB, control.user(),
                control.password(), null);
    }
}
