package io.regent.testkit.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.regent.testkit.TestkitException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A real 3-node MariaDB GTID cluster from Debian's binaries, and the fault operations on it. */
class MariaDbClusterTest {

    @Test
    void replicatesByGtidAndSurvivesFreezeRestartAndKill() throws Exception {
        List<Long> pids;
        try (MariaDbCluster cluster = MariaDbCluster.start("mdb", 3)) {
            MariaDbNode leader = cluster.initialLeader();
            List<MariaDbNode> followers = cluster.nodes().subList(1, 3);
            pids = cluster.nodes().stream().map(MariaDbNode::pid).toList();
            assertThat(leader.isReadOnly()).isFalse();
            assertThat(leader.isReplicating()).isFalse();
            for (MariaDbNode follower : followers) {
                assertThat(follower.isReadOnly()).as(follower.name()).isTrue();
                assertThat(follower.isReplicating()).as(follower.name()).isTrue();
            }

            leader.execute("CREATE DATABASE app");
            leader.execute("CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB");
            insert(leader, 1, 100);
            cluster.awaitCaughtUp(Duration.ofSeconds(30));
            for (MariaDbNode follower : followers) {
                assertThat(follower.queryValue("SELECT count(*) FROM app.t")).isEqualTo(100L);
                assertThat(follower.gtidSlavePos()).isEqualTo(leader.gtidBinlogPos()).startsWith("0-1-");
            }

            // Regent's monitoring user: sees replication, writes only its heartbeat, and not on a read-only node
            MariaDbNode follower = followers.get(0);
            try (Connection monitor = leader.connect(cluster.monitorUser());
                 Statement statement = monitor.createStatement()) {
                assertThatThrownBy(() -> statement.execute("CREATE TABLE regent.x (id INT)"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("denied");
                statement.execute("INSERT INTO regent.heartbeat VALUES (1, now(6), 1)");
            }
            try (Connection monitor = follower.connect(cluster.monitorUser());
                 Statement statement = monitor.createStatement()) {
                assertThat(statement.executeQuery("SHOW SLAVE STATUS").next()).isTrue();
                assertThatThrownBy(() -> statement.execute("UPDATE regent.heartbeat SET writer = 2"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("read-only");
            }

            // frozen: its sockets stay open but nothing answers; thawed: it catches up
            follower.freeze();
            assertThat(follower.isFrozen()).isTrue();
            insert(leader, 101, 150);
            follower.thaw();
            cluster.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(follower.queryValue("SELECT count(*) FROM app.t")).isEqualTo(150L);

            // a clean restart: read-only again and replicating on its own
            MariaDbNode restarted = followers.get(1);
            restarted.stop();
            assertThat(restarted.isRunning()).isFalse();
            insert(leader, 151, 160);
            restarted.start();
            cluster.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(restarted.isReadOnly()).isTrue();
            assertThat(restarted.queryValue("SELECT count(*) FROM app.t")).isEqualTo(160L);

            // a crash: the port refuses, the followers' IO threads lose it
            leader.kill();
            assertThat(leader.isRunning()).isFalse();
            assertThat(accepts(leader.port())).isFalse();
            await().atMost(Duration.ofSeconds(15)).until(() -> followers.stream().noneMatch(MariaDbNode::isReplicating));
            assertThatThrownBy(leader::connect).isInstanceOf(TestkitException.class);
        }
        assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive))
                .as("process %d after close", pid).isNotEqualTo(java.util.Optional.of(true)));
    }

    private static void insert(MariaDbNode leader, int from, int to) throws SQLException {
        try (Connection connection = leader.connect(); Statement statement = connection.createStatement()) {
            for (int id = from; id <= to; id++) {
                statement.execute("INSERT INTO app.t VALUES (" + id + ", 'row " + id + "')");
            }
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
