package io.regent.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.regent.events.ReplicationMode;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import io.regent.testkit.postgres.WalPositions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PostgresClusterTest {

    @Test
    void synchronousClusterReplicatesCatchesUpAndLosesTheStreamWhenTheLeaderIsKilled() {
        try (PostgresCluster cluster = PostgresCluster.builder().name("sync").nodes(3).synchronousAny(1).start()) {
            PostgresNode leader = cluster.initialLeader();
            List<PostgresNode> followers = cluster.nodes().subList(1, 3);

            // roles, timeline and the synchronous quorum as PostgreSQL itself reports them
            assertThat(cluster.replication().mode()).isEqualTo(ReplicationMode.SYNC_ANY);
            assertThat(leader.isInRecovery()).isFalse();
            assertThat(followers).allSatisfy(f -> assertThat(f.isInRecovery()).isTrue());
            assertThat(cluster.nodes()).allSatisfy(n -> assertThat(n.timeline()).isEqualTo(1L));
            assertThat(leader.queryValue("SHOW synchronous_standby_names"))
                    .isEqualTo("ANY 1 (\"sync-2\", \"sync-3\")");
            List<Map<String, Object>> standbys = leader.query(
                    "SELECT application_name, sync_state, state FROM pg_stat_replication ORDER BY application_name");
            assertThat(standbys).extracting(r -> r.get("application_name")).containsExactly("sync-2", "sync-3");
            assertThat(standbys).allSatisfy(r -> {
                assertThat(r.get("sync_state")).isEqualTo("quorum");
                assertThat(r.get("state")).isEqualTo("streaming");
            });

            // a committed write on the leader is readable on both followers
            leader.execute("CREATE TABLE orders (id bigint PRIMARY KEY, item text NOT NULL)");
            leader.execute("INSERT INTO orders VALUES (1, 'espresso machine')");
            for (PostgresNode follower : followers) {
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                        follower.queryValue("SELECT item FROM orders WHERE id = 1")).isEqualTo("espresso machine"));
            }

            // lag goes to zero: every follower replays up to the leader's position, seen from both sides
            long leaderLsn = leader.walPositions().current();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (PostgresNode follower : followers) {
                    WalPositions positions = follower.walPositions();
                    assertThat(positions.received()).isGreaterThanOrEqualTo(leaderLsn);
                    assertThat(positions.replayed()).isEqualTo(positions.received());
                }
                assertThat(leader.query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) AS lag "
                        + "FROM pg_stat_replication")).hasSize(2)
                        .allSatisfy(r -> assertThat(((Number) r.get("lag")).longValue()).isZero());
            });
            assertThat(followers).allSatisfy(f -> assertThat(f.walReceiverStatus()).contains("streaming"));

            // SIGKILL the leader: it is gone at once and the followers' WAL receivers lose the stream
            long leaderPid = leader.pid();
            leader.kill();
            assertThat(leader.isRunning()).isFalse();
            assertThat(ProcessHandle.of(leaderPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(ProcessTable.liveUnder(leader.dataDirectory().getParent())).isEmpty();
            for (PostgresNode follower : followers) {
                await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                        assertThat(follower.walReceiverStatus()).isNotEqualTo(java.util.Optional.of("streaming")));
                // nobody promoted anything: both are still followers, and still serve reads
                assertThat(follower.isInRecovery()).isTrue();
                assertThat(follower.queryValue("SELECT count(*) FROM orders")).isEqualTo(1L);
            }
            assertThat(cluster.currentLeaders()).isEmpty();
        }
    }

    @Test
    void aFrozenNodeAnswersNothingUntilThawed() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().name("freeze").nodes(2).start()) {
            PostgresNode leader = cluster.initialLeader();
            PostgresNode follower = cluster.node("freeze-2");
            try (Connection connection = leader.connect(cluster.superuser(), "postgres", Duration.ofSeconds(2))) {
                leader.freeze();
                assertThat(leader.isFrozen()).isTrue();
                assertThat(ProcessTable.liveUnder(leader.dataDirectory().getParent()))
                        .as("every process of the frozen server is stopped")
                        .isNotEmpty().allSatisfy(p -> assertThat(p.state()).isEqualTo('T'));

                assertThatThrownBy(() -> selectOne(connection)).isInstanceOf(SQLException.class)
                        .hasRootCauseInstanceOf(java.net.SocketTimeoutException.class);
                // the follower is fine and still in recovery: a freeze is not a failover
                assertThat(follower.isInRecovery()).isTrue();

                leader.thaw();
                assertThat(leader.isFrozen()).isFalse();
            }
            try (Connection fresh = leader.connect(cluster.superuser(), "postgres", Duration.ofSeconds(5))) {
                assertThat(selectOne(fresh)).isEqualTo(1);
            }
            leader.execute("CREATE TABLE after_thaw (id int)");
            cluster.awaitCaughtUp(Duration.ofSeconds(15));
            assertThat(follower.queryValue("SELECT count(*) FROM pg_tables WHERE tablename = 'after_thaw'"))
                    .isEqualTo(1L);
        }
    }

    @Test
    void nodesStopCleanlyAndStartAgainOnTheSamePortAndData() {
        try (PostgresCluster cluster = PostgresCluster.builder().name("restart").nodes(2).start()) {
            PostgresNode leader = cluster.initialLeader();
            PostgresNode follower = cluster.node("restart-2");
            leader.execute("CREATE TABLE kept (v text)");
            leader.execute("INSERT INTO kept VALUES ('survives restarts')");
            int port = follower.port();

            follower.stop();
            assertThat(follower.isRunning()).isFalse();
            leader.execute("INSERT INTO kept VALUES ('written while the follower was down')");
            follower.start();

            assertThat(follower.port()).isEqualTo(port);
            cluster.awaitCaughtUp(Duration.ofSeconds(15));
            assertThat(follower.queryValue("SELECT count(*) FROM kept")).isEqualTo(2L);

            leader.stop();
            leader.start();
            assertThat(leader.isInRecovery()).isFalse();
            assertThat(leader.queryValue("SELECT count(*) FROM kept")).isEqualTo(2L);
        }
    }

    @Test
    void theControlPlaneRoleHasExactlyTheLeastPrivilegesOfTheDesign() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().name("privs").nodes(2).start();
             Connection regent = cluster.initialLeader().connect(cluster.controlRole(), "postgres",
                     Duration.ofSeconds(10));
             Statement sql = regent.createStatement()) {
            assertThat(cluster.controlRole().user()).isEqualTo("regent");
            assertThat(cluster.controlRole().toString()).doesNotContain(cluster.controlRole().password());
            assertThat(value(sql, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).isEqualTo(false);

            // what the agents and the failover-service need
            assertThat(value(sql, "SELECT count(*) FROM pg_stat_replication WHERE sent_lsn IS NOT NULL"))
                    .as("pg_monitor shows the standbys' positions").isEqualTo(1L);
            assertThat(value(sql, "SELECT pg_logical_emit_message(false, 'regent', 'heartbeat')")).isNotNull();
            assertThat(value(sql, "SELECT pg_reload_conf()")).isEqualTo(true);
            sql.execute("CHECKPOINT");
            sql.execute("ALTER SYSTEM SET synchronous_standby_names = ''");
            sql.execute("ALTER SYSTEM SET primary_conninfo = ''");

            // and nothing more
            assertThatThrownBy(() -> sql.execute("ALTER SYSTEM SET max_connections = 500"))
                    .hasMessageContaining("permission denied");
            assertThatThrownBy(() -> sql.execute("CREATE ROLE intruder LOGIN"))
                    .hasMessageContaining("permission denied");
            assertThatThrownBy(() -> sql.execute("CREATE DATABASE nope"))
                    .hasMessageContaining("permission denied");
        }
    }

    private static int selectOne(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery("SELECT 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static Object value(Statement statement, String query) throws SQLException {
        try (ResultSet rs = statement.executeQuery(query)) {
            rs.next();
            return rs.getObject(1);
        }
    }
}
