package io.regent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Promote and fence on a real MariaDB cluster, as Regent's action user. */
class MariaDbActionsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final MariaDbAdapter adapter = new MariaDbAdapter(new Observer("test", "zone-t"), false);

    @AfterEach
    void closeAdapter() {
        adapter.close();
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

            assertThat(follower.isReadOnly()).isFalse();
            assertThat(follower.query("SHOW SLAVE STATUS")).isEmpty();
            assertThat(follower.queryValue("SELECT count(*) FROM app.t")).as("nothing it received is lost")
                    .isEqualTo(30L);
            follower.execute("INSERT INTO app.t (v) VALUES (100)");
            adapter.promote(control(cluster, follower), TIMEOUT); // again: already done, succeeds
            assertThat(follower.isReadOnly()).isFalse();
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
