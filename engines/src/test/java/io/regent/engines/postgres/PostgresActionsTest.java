package io.regent.engines.postgres;

import static io.regent.engines.postgres.Targets.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.regent.engines.EngineActionException;
import io.regent.engines.NodeTarget;
import io.regent.engines.Observer;
import io.regent.events.NodeObserved;
import io.regent.testkit.Testkit;
import io.regent.testkit.postgres.Credentials;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Promote, follow, fence and synchronous settings on real PostgreSQL servers, all done with
 * Regent's least-privilege role, and each repeated to prove it is idempotent.
 */
class PostgresActionsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Credentials APP = new Credentials("app", "app-secret");

    private final PostgresAdapter adapter = new PostgresAdapter(new Observer("actions-test", "zone-t"), false);

    @AfterEach
    void closeAdapter() {
        adapter.close();
    }

    @Test
    void promoteAndFollowMoveTheClusterToANewLeaderOnANewTimeline() {
        try (PostgresCluster cluster = PostgresCluster.builder().name("act").nodes(3).start()) {
            PostgresNode oldLeader = cluster.node("act-1");
            PostgresNode newLeader = cluster.node("act-2");
            PostgresNode follower = cluster.node("act-3");
            oldLeader.execute("CREATE TABLE t (id int PRIMARY KEY)");
            oldLeader.execute("INSERT INTO t SELECT generate_series(1, 100)");
            cluster.awaitCaughtUp(Duration.ofSeconds(10));
            oldLeader.kill();

            adapter.promote(target(cluster, newLeader), TIMEOUT);
            assertThat(newLeader.isInRecovery()).isFalse();
            assertThat(newLeader.queryValue("SHOW default_transaction_read_only")).as("promoted into a fence")
                    .isEqualTo("on");
            adapter.promote(target(cluster, newLeader), TIMEOUT); // again: already a leader, nothing to do
            adapter.unfence(target(cluster, newLeader), List.of(), 0, TIMEOUT);
            adapter.unfence(target(cluster, newLeader), List.of(), 0, TIMEOUT); // again: already open
            newLeader.execute("INSERT INTO t VALUES (101)");
            assertThat(newLeader.timeline()).isEqualTo(2);

            adapter.follow(target(cluster, follower), target(cluster, newLeader), TIMEOUT);
            adapter.follow(target(cluster, follower), target(cluster, newLeader), TIMEOUT); // again: no change
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(follower.walReceiverStatus()).contains("streaming");
                assertThat(follower.timeline()).isEqualTo(2);
                assertThat(follower.queryValue("SELECT count(*) FROM t")).isEqualTo(101L);
            });
            // the replication password survived the edit: it is what lets the WAL receiver log in
            assertThat(newLeader.queryValue("SELECT count(*) FROM pg_stat_replication WHERE application_name = 'act-3'"))
                    .isEqualTo(1L);

            assertThatThrownBy(() -> adapter.follow(target(cluster, newLeader), target(cluster, follower), TIMEOUT))
                    .isInstanceOf(EngineActionException.class)
                    .hasMessageContaining("is not in recovery (it acts as a leader)");
        }
    }

    @Test
    void aFencedLeaderRefusesWritesEndsSessionsAndCannotAcknowledgeAnOverride() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().name("fence").nodes(2).start()) {
            PostgresNode leader = cluster.initialLeader();
            leader.execute("CREATE ROLE " + APP.user() + " LOGIN PASSWORD '" + APP.password() + "'");
            leader.execute("CREATE TABLE t (id int)");
            leader.execute("GRANT INSERT, SELECT ON t TO " + APP.user());
            try (Connection open = leader.connect(APP, "postgres", Duration.ofSeconds(5))) {
                insert(open, 1);

                adapter.fence(target(cluster, leader), TIMEOUT);
                adapter.fence(target(cluster, leader), TIMEOUT); // again: already fenced

                assertThatThrownBy(() -> insert(open, 2)).as("the session open before the fence was ended")
                        .isInstanceOf(SQLException.class);
            }
            try (Connection fresh = leader.connect(APP, "postgres", Duration.ofSeconds(5))) {
                assertThatThrownBy(() -> insert(fresh, 3)).isInstanceOf(SQLException.class)
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("25006"));
            }
            try (Connection stubborn = leader.connect(APP, "postgres", Duration.ofSeconds(5));
                 Statement statement = stubborn.createStatement()) {
                statement.execute("SET default_transaction_read_only = off");
                statement.execute("SET statement_timeout = '1s'");
                // the commit happens locally but waits for a standby that does not exist: never acknowledged
                assertThatThrownBy(() -> statement.execute("INSERT INTO t VALUES (4)"))
                        .isInstanceOf(SQLException.class);
            }
            NodeObserved probe = adapter.probe(target(cluster, leader), Duration.ofSeconds(2));
            assertThat(probe.readOnly()).isTrue();
            assertThat(probe.synchronousStandbyNames()).isEqualTo("\"regent-fenced\"");

            // promoting a fenced leader (a late or repeated promotion) does not lift the fence
            adapter.promote(target(cluster, leader), TIMEOUT);
            try (Connection after = leader.connect(APP, "postgres", Duration.ofSeconds(5))) {
                assertThatThrownBy(() -> insert(after, 5)).isInstanceOf(SQLException.class)
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("25006"));
            }
            // unfencing is its own action: synchronous standbys as asked, then writable
            adapter.unfence(target(cluster, leader), List.of("fence-2"), 1, TIMEOUT);
            assertThat(leader.queryValue("SHOW synchronous_standby_names")).isEqualTo("ANY 1 (\"fence-2\")");
            try (Connection after = leader.connect(APP, "postgres", Duration.ofSeconds(5))) {
                insert(after, 5);
            }
        }
    }

    @Test
    void aStandbyIsPromotedIntoAFenceAndNothingIsChangedOnceTheBudgetRanOut() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().name("late").nodes(2).start()) {
            PostgresNode leader = cluster.initialLeader();
            PostgresNode standby = cluster.node("late-2");
            leader.execute("CREATE ROLE " + APP.user() + " LOGIN PASSWORD '" + APP.password() + "'");
            leader.execute("CREATE TABLE t (id int)");
            leader.execute("GRANT INSERT, SELECT ON t TO " + APP.user());
            cluster.awaitCaughtUp(Duration.ofSeconds(10));

            // a caller whose budget is gone (paused past its ownership) changes nothing
            assertThatThrownBy(() -> adapter.promote(target(cluster, standby), Duration.ofNanos(1)))
                    .isInstanceOf(EngineActionException.class);
            assertThat(standby.isInRecovery()).isTrue();
            assertThatThrownBy(() -> adapter.unfence(target(cluster, standby), List.of(), 0, TIMEOUT))
                    .hasMessageContaining("is in recovery (a standby)");

            adapter.promote(target(cluster, standby), TIMEOUT);
            assertThat(standby.isInRecovery()).isFalse();
            try (Connection app = standby.connect(APP, "postgres", Duration.ofSeconds(5));
                 Statement statement = app.createStatement()) {
                assertThatThrownBy(() -> statement.execute("INSERT INTO t VALUES (1)")).isInstanceOf(SQLException.class)
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("25006"));
                // overriding the default does not get a commit acknowledged either
                statement.execute("SET default_transaction_read_only = off");
                statement.execute("SET statement_timeout = '1s'");
                assertThatThrownBy(() -> statement.execute("INSERT INTO t VALUES (2)")).isInstanceOf(SQLException.class);
            }
            NodeObserved probe = adapter.probe(target(cluster, standby), Duration.ofSeconds(2));
            assertThat(probe.readOnly()).isTrue();
            assertThat(probe.synchronousStandbyNames()).isEqualTo("\"regent-fenced\"");
        }
    }

    @Test
    void aBarrierWrittenOnAFencedLeaderTellsWhenAFollowerHasEveryCommit() {
        try (PostgresCluster cluster = PostgresCluster.builder().name("barrier").nodes(2).start()) {
            PostgresNode leader = cluster.initialLeader();
            PostgresNode follower = cluster.node("barrier-2");
            leader.execute("CREATE TABLE t AS SELECT generate_series(1, 50000) AS id");
            adapter.fence(target(cluster, leader), TIMEOUT);

            long barrier = adapter.writeBarrier(target(cluster, leader), TIMEOUT);
            assertThat(barrier).isGreaterThan(0);
            adapter.awaitReplayed(target(cluster, follower), barrier, TIMEOUT);
            assertThat(follower.queryValue("SELECT count(*) FROM t")).isEqualTo(50000L);
            assertThat(((Number) follower.queryValue("SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn")).longValue())
                    .isGreaterThanOrEqualTo(barrier);

            assertThatThrownBy(() -> adapter.awaitReplayed(target(cluster, follower), barrier + (1L << 30),
                    Duration.ofMillis(300))).isInstanceOf(EngineActionException.class)
                    .hasMessageContaining("but not " + (barrier + (1L << 30)));
            assertThatThrownBy(() -> adapter.writeBarrier(target(cluster, follower), TIMEOUT))
                    .hasMessageContaining("is in recovery, not a leader");
        }
    }

    /**
     * The switchover's detach: the fenced leader keeps writing WAL (a superuser session, every millisecond, as
     * autovacuum or a checkpoint would now and then); the other follower, detached to receive through the
     * candidate before its promotion, follows the candidate's new timeline with no rewind.
     */
    @Test
    void aFollowerDetachedFromAFencedLeaderThatKeepsWritingFollowsThePromotedCandidate() throws Exception {
        try (PostgresCluster cluster = PostgresCluster.builder().name("detach").nodes(3).start()) {
            PostgresNode leader = cluster.initialLeader();
            PostgresNode candidate = cluster.node("detach-2");
            PostgresNode follower = cluster.node("detach-3");
            leader.execute("CREATE TABLE t (id int PRIMARY KEY)");
            Object followerStarted = follower.queryValue("SELECT pg_postmaster_start_time()");
            java.util.concurrent.atomic.AtomicBoolean churning = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread churn = new Thread(() -> {
                try (Connection connection = leader.connect(); Statement statement = connection.createStatement()) {
                    statement.execute("SET default_transaction_read_only = off");
                    while (churning.get()) {
                        statement.execute("SELECT pg_logical_emit_message(false, 'test', repeat('x', 200))");
                        Thread.sleep(1);
                    }
                } catch (SQLException | InterruptedException e) {
                    // the test ends it
                }
            }, "wal-churn");
            churn.start();
            try {
                adapter.fence(target(cluster, leader), TIMEOUT);
                long barrier = adapter.writeBarrier(target(cluster, leader), TIMEOUT);
                adapter.awaitReplayed(target(cluster, candidate), barrier, TIMEOUT);
                long started = System.nanoTime();
                long received = adapter.detach(target(cluster, follower), target(cluster, leader),
                        target(cluster, candidate), deadline()).orElseThrow();
                long detached = System.nanoTime();
                adapter.awaitReceived(target(cluster, candidate), received, deadline());
                System.out.printf("detach: %d ms, then the candidate had received as much after %d ms%n",
                        (detached - started) / 1_000_000, (System.nanoTime() - detached) / 1_000_000);
                assertThat(received).isGreaterThanOrEqualTo(barrier);
                assertThat(leader.queryValue("SELECT count(*) FROM pg_stat_replication WHERE application_name = "
                        + "'detach-3'")).as("no stream from the fenced leader").isEqualTo(0L);
                Testkit.sleep(300); // the fenced leader writes on; none of it reaches the follower but through candidate
                adapter.promote(target(cluster, candidate), TIMEOUT);
                adapter.unfence(target(cluster, candidate), List.of(), 0, TIMEOUT);
                candidate.execute("INSERT INTO t VALUES (1)");
                // again: already re-pointed, and the promoted candidate's history is fixed
                assertThat(adapter.detach(target(cluster, follower), target(cluster, leader),
                        target(cluster, candidate), deadline())).isPresent();
                adapter.awaitReceived(target(cluster, candidate), Long.MAX_VALUE, deadline());
            } finally {
                churning.set(false);
                churn.join(10_000);
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(follower.walReceiverStatus()).contains("streaming");
                assertThat(follower.timeline()).isEqualTo(2);
                assertThat(follower.queryValue("SELECT count(*) FROM t")).isEqualTo(1L);
            });
            assertThat(follower.queryValue("SELECT pg_postmaster_start_time()")).as("not restarted, so not rewound")
                    .isEqualTo(followerStarted);
            assertThatThrownBy(() -> adapter.detach(target(cluster, candidate), target(cluster, leader),
                    target(cluster, follower), deadline())).hasMessageContaining("is not in recovery");
        }
    }

    private static io.regent.engines.Deadline deadline() {
        return io.regent.engines.Deadline.after(TIMEOUT);
    }

    @Test
    void synchronousStandbysAreSetAndCleared() {
        try (PostgresCluster cluster = PostgresCluster.builder().name("sync").nodes(3).start()) {
            PostgresNode leader = cluster.initialLeader();
            NodeTarget target = target(cluster, leader);
            adapter.configureSynchronous(target, List.of("sync-2", "sync-3"), 1, TIMEOUT);
            adapter.configureSynchronous(target, List.of("sync-2", "sync-3"), 1, TIMEOUT);
            assertThat(leader.queryValue("SHOW synchronous_standby_names")).isEqualTo("ANY 1 (\"sync-2\", \"sync-3\")");
            leader.execute("CREATE TABLE t AS SELECT 1 AS id"); // acknowledged by a standby
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(leader.query(
                    "SELECT sync_state FROM pg_stat_replication")).extracting(m -> m.get("sync_state"))
                    .containsOnly("quorum"));
            adapter.configureSynchronous(target, List.of(), 0, TIMEOUT);
            assertThat(leader.queryValue("SHOW synchronous_standby_names")).isEqualTo("");
            assertThatThrownBy(() -> adapter.configureSynchronous(target, List.of("sync-2"), 2, TIMEOUT))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("cannot wait for 2 of 1 standbys");
        }
    }

    @Test
    void connectionStringsKeepEveryOtherKeyAndQuoting() {
        Map<String, String> parsed = Conninfo.parse("host=10.0.0.1 port = 5432 user=replicator "
                + "password='it\\'s a s\\\\ecret' application_name=n2");
        assertThat(parsed).containsExactly(Map.entry("host", "10.0.0.1"), Map.entry("port", "5432"),
                Map.entry("user", "replicator"), Map.entry("password", "it's a s\\ecret"),
                Map.entry("application_name", "n2"));
        assertThat(Conninfo.parse(Conninfo.format(parsed))).isEqualTo(parsed);
        assertThatThrownBy(() -> Conninfo.parse("host='unterminated")).hasMessageContaining("unterminated");
    }

    private static void insert(Connection connection, int id) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO t VALUES (" + id + ")");
        }
    }
}
