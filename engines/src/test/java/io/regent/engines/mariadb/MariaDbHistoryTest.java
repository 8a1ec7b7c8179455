package io.regent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.engines.NodeTarget;
import io.regent.engines.Observer;
import io.regent.engines.ReplicatedHistory;
import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.testkit.mariadb.MariaDbCluster;
import io.regent.testkit.mariadb.MariaDbNode;
import io.regent.testkit.postgres.Credentials;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the probe tells of a semi-synchronous cluster's history, on a real 3-node cluster: the
 * semi-synchronous status of each node, and a follower written to directly shows up as errant and
 * as holding what the others lack. No heartbeat: the leader must not write past the errant write
 * (strict GTID mode would stop that follower's applier).
 */
class MariaDbHistoryTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static MariaDbCluster cluster;
    private static final MariaDbAdapter ADAPTER = new MariaDbAdapter(new Observer("test", "zone-t"), false);

    @BeforeAll
    static void startCluster() {
        cluster = MariaDbCluster.startSemiSynchronous("hist", 3, null);
        cluster.initialLeader().execute("CREATE DATABASE app");
        cluster.initialLeader().execute("CREATE TABLE app.t (id INT PRIMARY KEY) ENGINE=InnoDB");
        cluster.awaitCaughtUp(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stopCluster() {
        ADAPTER.close();
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void semiSynchronousStatusThenAnErrantWriteOnAFollower() {
        MariaDbNode leader = cluster.initialLeader();
        MariaDbNode clean = cluster.nodes().get(1);
        MariaDbNode written = cluster.nodes().get(2);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            NodeObserved l = probe(leader);
            assertThat(l.semiSync().leaderEnabled()).isTrue();
            assertThat(l.semiSync().leaderActive()).isTrue();
            assertThat(l.semiSync().acknowledgingReplicas()).isEqualTo(2);
            assertThat(l.semiSync().commitsWithoutAck()).as("every commit was acknowledged").isZero();
            for (MariaDbNode follower : cluster.nodes().subList(1, 3)) {
                NodeObserved f = probe(follower);
                assertThat(f.semiSync().followerEnabled()).isTrue();
                assertThat(f.semiSync().followerActive()).as("%s acknowledges", follower.name()).isTrue();
                assertThat(f.semiSync().leaderActive()).isFalse();
            }
        });

        // the superuser bypasses read_only: a write on a follower, binlogged under its own server id
        written.execute("INSERT INTO app.t VALUES (1)");
        NodeObserved leaderSeen = probe(leader);
        NodeObserved cleanSeen = probe(clean);
        NodeObserved writtenSeen = probe(written);
        String errant = "0-" + written.serverId() + "-" + GtidPosition.parse(written.gtidBinlogPos()).sequence(0);

        assertThat(ReplicatedHistory.errant(Engine.MARIADB, writtenSeen, leaderSeen)).containsExactly(errant);
        assertThat(ReplicatedHistory.errant(Engine.MARIADB, cleanSeen, leaderSeen)).isEmpty();
        assertThat(ReplicatedHistory.lacking(Engine.MARIADB, cleanSeen, writtenSeen)).containsExactly(errant);
        assertThat(ReplicatedHistory.lacking(Engine.MARIADB, writtenSeen, cleanSeen)).isEmpty();
        // one number cannot tell: both have applied the leader's stream to the same sequence number
        assertThat(writtenSeen.receivedLsn()).isEqualTo(cleanSeen.receivedLsn());
    }

    private static NodeObserved probe(MariaDbNode node) {
        Credentials monitor = cluster.monitorUser();
        NodeObserved observed = ADAPTER.probe(new NodeTarget("hist", node.name(), node.host(), node.port(),
                Engine.MARIADB, monitor.user(), monitor.password(), null), TIMEOUT);
        assertThat(observed.reachable()).as("%s: %s", node.name(), observed.error()).isTrue();
        return observed;
    }
}
