package io.regent.failover.it;

import static io.regent.testkit.stack.ControlPlane.CONTROL_ROLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.regent.engines.mariadb.GtidPosition;
import io.regent.events.NodeRole;
import io.regent.events.OperationKind;
import io.regent.events.OperationPhase;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import io.regent.events.Phases;
import io.regent.events.SwitchoverRequested;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.testkit.Testkit;
import io.regent.testkit.jvm.Debugger;
import io.regent.testkit.mariadb.MariaDbCluster;
import io.regent.testkit.mariadb.MariaDbNode;
import io.regent.testkit.postgres.Credentials;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ControlPlane;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The failover-service on a real MariaDB cluster (GTID replication), with the same control plane as
 * {@link FailoverIT} - Kafka, the registry, three agents, a failover-service, each its own process -
 * and no MariaDB special case outside the engine: kill -9 of the leader, an old leader with errant
 * transactions left alone, a switchover with a writer,
 * lossless semi-synchronous replication kept after a failover (and the old leader rejoined when it
 * comes back) and a failover refused when it cannot be sure, a blinded agent and
 * leader stalls that must not fail over, a frozen leader fenced when it wakes, a failover-service
 * killed mid-operation.
 */
class MariaDbFailoverIT {

    private static final Credentials APP = new Credentials("app", "app-secret");
    private static final List<String> ALL_PHASES = List.of(Phases.DETECTED, Phases.DECIDED, Phases.FENCED,
            Phases.PROMOTED, Phases.REPOINTED, Phases.ANNOUNCED);

    private static ControlPlane plane;

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
        plane.stopFailoverInstances();
    }

    @Test
    void killMinus9OfTheLeaderPromotesAFollowerAndRepointsTheOther() throws Exception {
        try (MariaDbCluster db = cluster("mkill", 3)) {
            QuarkusService failover = failoverFor(db, "group-mkill");
            try (AutoCloseable registered = plane.register(db, Map.of())) {
                long epoch = awaitWatched(db, failover);

                db.initialLeader().kill();
                MariaDbNode leader = awaitNewLeader(db);
                leader.execute("INSERT INTO app.t VALUES (1000)");

                TopologyChanged after = await().atMost(Duration.ofSeconds(30))
                        .until(() -> plane.topology("mkill"), t -> t.epoch() == epoch + 1);
                assertThat(after.leader()).isEqualTo(leader.name());
                MariaDbNode other = db.nodes().stream().filter(n -> n != leader && n != db.initialLeader())
                        .findFirst().orElseThrow();
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertFollows(other, leader));
                OperationUpdated op = finished(OperationKind.FAILOVER, "mkill");
                assertThat(op.status()).isEqualTo(OperationStatus.SUCCEEDED);
                assertThat(op.fromNode()).isEqualTo("mkill-1");
                assertThat(op.toNode()).isEqualTo(leader.name());
                assertThat(op.phases()).extracting(OperationPhase::name).containsExactlyElementsOf(ALL_PHASES);

                Thread.sleep(3_000); // nothing more happens: no second failover
                assertThat(plane.topology("mkill").epoch()).isEqualTo(epoch + 1);
                assertThat(plane.operations("mkill")).filteredOn(o -> o.kind() == OperationKind.FAILOVER).hasSize(1);
                // the old leader's return: see the semi-synchronous test - asynchronously, the agents'
                // heartbeat committed just before the kill may never have left it, and then its rejoin is
                // refused (rightly: it holds a transaction the new leader lacks)
            }
        }
    }

    @Test
    void anOldLeaderThatTookWritesAfterTheFailoverIsNotRejoinedAndSaysWhy() throws Exception {
        try (MariaDbCluster db = cluster("merr", 3)) {
            QuarkusService failover = failoverFor(db, "group-merr");
            try (AutoCloseable registered = plane.register(db, Map.of())) {
                long epoch = awaitWatched(db, failover);
                db.initialLeader().kill();
                awaitNewLeader(db);
                await().atMost(Duration.ofSeconds(30)).until(() -> plane.topology("merr").epoch() == epoch + 1);
                await().atMost(Duration.ofSeconds(10)).until(() -> only(OperationKind.FAILOVER, "merr").status()
                        == OperationStatus.SUCCEEDED);

                failover.process().freeze(); // so the old leader takes a write before anyone looks at it
                MariaDbNode old = db.initialLeader();
                try {
                    old.start();
                    old.execute("INSERT INTO app.t VALUES (2000)"); // as a superuser: read_only does not stop it
                } finally {
                    failover.process().thaw();
                }
                String errant = old.gtidBinlogPos();

                OperationUpdated refused = await().atMost(Duration.ofSeconds(60)).until(() -> plane.operations("merr")
                        .stream().filter(o -> o.kind() == OperationKind.REJOIN && o.status() == OperationStatus.FAILED)
                        .findFirst().orElse(null), o -> o != null);
                assertThat(refused.error()).contains("refused").contains("[" + errant + "]")
                        .contains("following would diverge silently");
                assertThat(old.isReadOnly()).isTrue();
                assertThat(old.query("SHOW SLAVE STATUS")).as("it replicates nothing").isEmpty();
                assertThat(old.queryValue("SELECT count(*) FROM app.t WHERE id = 2000")).as("nothing discarded")
                        .isEqualTo(1L);
                assertThat(role(plane.topology("merr"), "merr-1")).isEqualTo(NodeRole.NEEDS_REJOIN);
            }
        }
    }

    @Test
    void aFollowerWrittenToDirectlyIsNotPromotedAndTheDecisionSaysWhy() throws Exception {
        try (MariaDbCluster db = cluster("mwrite", 3)) {
            QuarkusService failover = failoverFor(db, "group-mwrite");
            try (AutoCloseable registered = plane.register(db, Map.of())) {
                long epoch = awaitWatched(db, failover);
                MariaDbNode written = db.node("mwrite-3");
                written.execute("INSERT INTO app.t VALUES (4000)"); // as a superuser: read_only does not stop it
                String errant = GtidPosition.parse(written.gtidBinlogPos()).domains().get(0L).toString();
                assertThat(errant).startsWith("0-" + written.serverId() + "-");
                Testkit.sleep(2_000); // several probe rounds: the agents have seen the write

                db.initialLeader().kill();
                await().atMost(Duration.ofSeconds(30)).until(() -> plane.topology("mwrite").epoch() == epoch + 1);
                OperationUpdated op = finished(OperationKind.FAILOVER, "mwrite");
                assertThat(op.toNode()).isEqualTo("mwrite-2");
                assertThat(op.reason()).contains("excluded mwrite-3: holds transaction(s) [" + errant
                        + "] that leader mwrite-1 never had (errant writes on it)");
                assertThat(db.node("mwrite-2").queryValue("SELECT count(*) FROM app.t WHERE id = 4000"))
                        .as("the errant write did not spread").isEqualTo(0L);
            }
        }
    }

    @Test
    void aSwitchoverWithAConcurrentWriterLosesNoAcknowledgedWrite() throws Exception {
        try (MariaDbCluster db = cluster("mswitch", 3)) {
            QuarkusService failover = failoverFor(db, "group-mswitch");
            try (AutoCloseable registered = plane.register(db, Map.of())) {
                long epoch = awaitWatched(db, failover);
                MariaDbNode from = db.initialLeader();
                MariaDbNode to = db.node("mswitch-3");
                from.execute("INSERT INTO app.t VALUES (3000)");
                Map<String, List<Long>> acknowledged = new java.util.concurrent.ConcurrentHashMap<>();
                java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
                Thread writer = new Thread(() -> write(db, "mswitch", writing, acknowledged), "writer");
                writer.start();
                await().atMost(Duration.ofSeconds(10)).until(() -> acknowledged.containsKey(from.name()));

                plane.send("mswitch", new SwitchoverRequested(UUID.randomUUID(), "mswitch", from.name(), to.name(),
                        epoch, "alice", Instant.now(), "test"));

                await().atMost(Duration.ofSeconds(30)).until(() -> plane.topology("mswitch").epoch() == epoch + 1);
                assertThat(plane.topology("mswitch").leader()).isEqualTo(to.name());
                await().atMost(Duration.ofSeconds(10)).until(() -> acknowledged.getOrDefault(to.name(), List.of())
                        .size() > 10);
                writing.set(false);
                writer.join(10_000);
                List<Long> all = acknowledged.values().stream().flatMap(List::stream).toList();
                List<Long> present = to.query("SELECT id FROM app.t WHERE id >= 10000").stream()
                        .map(row -> ((Number) row.get("id")).longValue()).toList();
                assertThat(present).as("every write acknowledged by %s or %s", from.name(), to.name())
                        .containsAll(all);
                assertThat(to.isReadOnly()).isFalse();
                assertThat(to.queryValue("SELECT count(*) FROM app.t WHERE id = 3000")).isEqualTo(1L);
                OperationUpdated op = finished(OperationKind.SWITCHOVER, "mswitch");
                assertThat(op.status()).isEqualTo(OperationStatus.SUCCEEDED);
                assertThat(op.phases()).extracting(OperationPhase::name).contains(Phases.FENCED, Phases.CAUGHT_UP,
                        Phases.PROMOTED, Phases.ANNOUNCED);
                to.execute("INSERT INTO app.t VALUES (3001)");
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    assertFollows(db.node("mswitch-2"), to);
                    assertFollows(from, to); // the old leader rejoins by itself: nothing errant on it
                });
            }
        }
    }

    @Test
    void semiSynchronousKillMinus9KeepsCommitsAcknowledgedAndTheOldLeaderRejoinsWhenItComesBack() throws Exception {
        try (MariaDbCluster db = prepared(MariaDbCluster.startSemiSynchronous("msemi", 3, CONTROL_ROLE))) {
            QuarkusService failover = failoverFor(db, "group-msemi");
            try (AutoCloseable registered = plane.register(db, Map.of())) {
                long epoch = awaitWatched(db, failover);
                assertThat(plane.topology("msemi").replication().syncCount()).isEqualTo(1);

                db.initialLeader().kill();
                MariaDbNode leader = awaitNewLeader(db);
                await().atMost(Duration.ofSeconds(30)).until(() -> plane.topology("msemi").epoch() == epoch + 1);
                OperationUpdated op = finished(OperationKind.FAILOVER, "msemi");
                assertThat(op.phases()).filteredOn(p -> p.name().equals(Phases.PROMOTED)).singleElement()
                        .satisfies(p -> assertThat(p.detail()).contains("synchronous ANY 1"));
                assertThat(leader.queryValue("SELECT @@rpl_semi_sync_master_enabled")).hasToString("1");
                MariaDbNode other = db.nodes().stream().filter(n -> n != leader && n != db.initialLeader())
                        .findFirst().orElseThrow();
                leader.execute("INSERT INTO app.t VALUES (6000)"); // returns once the other follower has it
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertFollows(other, leader));
                assertThat(leader.queryValue("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
                        + "VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_NO_TX'")).as("no commit went unacknowledged")
                        .hasToString("0");

                // lossless: the old leader comes back without what no replica acknowledged, so nothing on
                // it is errant and it is rejoined by itself
                db.initialLeader().start();
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    assertThat(role(plane.topology("msemi"), "msemi-1")).isEqualTo(NodeRole.FOLLOWER);
                    assertFollows(db.initialLeader(), leader);
                });
                OperationUpdated rejoin = finished(OperationKind.REJOIN, "msemi");
                assertThat(rejoin.status()).isEqualTo(OperationStatus.SUCCEEDED);
                assertThat(rejoin.phases()).extracting(OperationPhase::name).contains(Phases.REJOINED);
                leader.execute("INSERT INTO app.t VALUES (6001)");
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertFollows(db.initialLeader(), leader));
            }
        }
    }

    @Test
    void semiSynchronousWithOneFollowerDownAndTheLeaderDeadRefusesLoudly() throws Exception {
        try (MariaDbCluster db = prepared(MariaDbCluster.startSemiSynchronous("mrpo", 3, CONTROL_ROLE))) {
            QuarkusService failover = failoverFor(db, "group-mrpo");
            try (AutoCloseable registered = plane.register(db, Map.of())) {
                long epoch = awaitWatched(db, failover);
                db.node("mrpo-3").kill();
                Testkit.sleep(2_500); // the agents see it gone
                db.initialLeader().kill();

                OperationUpdated op = await().atMost(Duration.ofSeconds(30)).until(() -> plane.operations("mrpo")
                        .stream().filter(o -> o.kind() == OperationKind.FAILOVER).findFirst().orElse(null),
                        o -> o != null && o.status().isFinal());
                assertThat(op.status()).isEqualTo(OperationStatus.FAILED);
                assertThat(op.error()).contains("synchronous ANY 1 of 2 standbys needs 2 reachable")
                        .contains("only 1 ([mrpo-2]) are reachable");
                Testkit.sleep(2_000);
                assertThat(db.node("mrpo-2").isReadOnly()).as("nothing was promoted").isTrue();
                assertThat(plane.topology("mrpo").epoch()).isEqualTo(epoch);
            }
        }
    }

    @Test
    void aFrozenAgentAndOneSecondLeaderStallsCauseNoFailover() throws Exception {
        try (MariaDbCluster db = cluster("mcalm", 3)) {
            QuarkusService failover = failoverFor(db, "group-mcalm");
            try (AutoCloseable registered = plane.register(db, Map.of())) {
                long epoch = awaitWatched(db, failover);
                Stalls.blindAnAgentThenStallTheLeader(plane.agents.get(0), db.initialLeader()::freeze,
                        db.initialLeader()::thaw);
                assertThat(plane.topology("mcalm").epoch()).isEqualTo(epoch);
                assertThat(plane.operations("mcalm")).isEmpty();
                assertThat(db.initialLeader().isReadOnly()).isFalse();
                assertThat(db.nodes().subList(1, 3)).allSatisfy(n -> assertThat(n.isReplicating()).isTrue());
            }
        }
    }

    @Test
    void aFrozenLeaderIsReplacedAndFencedWhenItWakesSoItTakesNoMoreWrites() throws Exception {
        try (MariaDbCluster db = cluster("mzombie", 3)) {
            MariaDbNode old = db.initialLeader();
            QuarkusService failover = failoverFor(db, "group-mzombie");
            try (AutoCloseable registered = plane.register(db, Map.of());
                 Connection before = old.connect(APP); Statement client = before.createStatement()) {
                long epoch = awaitWatched(db, failover);
                client.execute("INSERT INTO app.t VALUES (4000)");

                old.freeze();
                try {
                    awaitNewLeader(db);
                    await().atMost(Duration.ofSeconds(30)).until(() -> plane.topology("mzombie").epoch() == epoch + 1);
                    assertThat(only(OperationKind.FAILOVER, "mzombie").phases())
                            .filteredOn(p -> p.name().equals(Phases.FENCED)).singleElement()
                            .satisfies(p -> assertThat(p.detail()).contains("unreachable"));
                } finally {
                    old.thaw();
                }
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(plane.operations("mzombie"))
                        .filteredOn(o -> o.kind() == OperationKind.FENCE && o.status() == OperationStatus.SUCCEEDED)
                        .singleElement().satisfies(o -> assertThat(o.fromNode()).isEqualTo("mzombie-1")));
                assertThat(old.isReadOnly()).isTrue();
                assertThatThrownBy(() -> client.execute("INSERT INTO app.t VALUES (4001)"))
                        .as("the session the client had was ended").isInstanceOf(SQLException.class);
                try (Connection after = old.connect(APP); Statement statement = after.createStatement()) {
                    assertThatThrownBy(() -> statement.execute("INSERT INTO app.t VALUES (4002)"))
                            .isInstanceOf(SQLException.class).hasMessageContaining("read-only");
                }
                assertThat(plane.operations("mzombie")).as("fenced once")
                        .filteredOn(o -> o.kind() == OperationKind.FENCE).hasSize(1);
                assertThat(plane.topology("mzombie").epoch()).isGreaterThanOrEqualTo(epoch + 1);
                assertThat(plane.operations("mzombie")).filteredOn(o -> o.kind() == OperationKind.FAILOVER).hasSize(1);
            }
        }
    }

    @Test
    void aFailoverServiceKilledMidOperationIsReplacedAndTheEpochMovesOnce() throws Exception {
        try (MariaDbCluster db = cluster("mcrash", 3)) {
            Map<String, String> secrets = Map.of("REGENT_MARIADB_REPLICATION_PASSWORD", db.replicationUser().password());
            QuarkusService a = plane.startFailover("failover-mc1", "group-mcrash", debuggable(db), db.controlUser(),
                    secrets);
            QuarkusService b = plane.startFailover("failover-mc2", "group-mcrash", debuggable(db), db.controlUser(),
                    secrets);
            try (AutoCloseable registered = plane.register(db, Map.of())) {
                long epoch = awaitWatched(db, a, b);
                QuarkusService owner = owners(db, a, b).get(0);
                QuarkusService survivor = owner == a ? b : a;

                try (Debugger debugger = Debugger.attach(owner.debugPort())) {
                    // the owner stops where it re-points the other follower: promoted and open, not announced
                    Debugger.Pause repointing = debugger.pauseAt("io.regent.engines.mariadb.MariaDbActions", "follow");
                    db.initialLeader().kill();
                    assertThat(repointing.awaitHit(Duration.ofSeconds(30))).as("reached %s", repointing).isTrue();
                    assertThat(only(OperationKind.FAILOVER, "mcrash").phases()).extracting(OperationPhase::name)
                            .contains(Phases.PROMOTED);
                    owner.kill(); // crash between promotion and announcement
                }
                assertThat(plane.topology("mcrash").epoch()).as("not announced before the crash").isEqualTo(epoch);

                OperationUpdated op = await().atMost(Duration.ofSeconds(60)).until(() -> only(OperationKind.FAILOVER,
                        "mcrash"), o -> o.status().isFinal());
                assertThat(op.status()).as("error: %s", op.error()).isEqualTo(OperationStatus.SUCCEEDED);
                assertThat(op.phases()).extracting(OperationPhase::name).containsExactlyElementsOf(ALL_PHASES);
                assertThat(op.epochAfter()).isEqualTo(epoch + 1);
                assertThat(plane.ownedBy(survivor)).contains("mcrash");
                assertThat(plane.topologyEvents("mcrash")).filteredOn(t -> t.epoch() == epoch + 1).hasSize(1);
                MariaDbNode leader = db.node(op.toNode());
                MariaDbNode other = db.nodes().stream().filter(n -> n != leader && n != db.initialLeader())
                        .findFirst().orElseThrow();
                leader.execute("INSERT INTO app.t VALUES (5000)");
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertFollows(other, leader));
            }
        }
    }

    /** Settings of an instance a debugger can stop at an exact point ({@link Debugger}). */
    private static Map<String, String> debuggable(MariaDbCluster db) {
        return Map.of(QuarkusService.DEBUG_PORT, Integer.toString(io.regent.testkit.FreePorts.next()),
                "regent.failover.mariadb.replication-user", db.replicationUser().user());
    }

    /**
     * Writes ids from 10,000 up to whichever node the registry names leader (looked up every 200 ms)
     * as the application user, noting each acknowledged id under the node that acknowledged it; an id
     * whose write failed is skipped (it may or may not have committed), a failed session reopened.
     */
    private static void write(MariaDbCluster db, String cluster, java.util.concurrent.atomic.AtomicBoolean writing,
            Map<String, List<Long>> acknowledged) {
        Map<String, Connection> sessions = new java.util.HashMap<>();
        long id = 10_000;
        String leader = null;
        long lookedUp = 0;
        while (writing.get()) {
            if (leader == null || System.nanoTime() - lookedUp > 200_000_000L) {
                try {
                    leader = plane.topology(cluster).leader();
                    lookedUp = System.nanoTime();
                } catch (RuntimeException e) {
                    Testkit.sleep(50);
                    continue;
                }
            }
            String node = leader;
            try (Statement statement = sessions.computeIfAbsent(node, n -> db.node(n).connect(APP)).createStatement()) {
                statement.execute("INSERT INTO app.t VALUES (" + id + ")");
                acknowledged.computeIfAbsent(node, n -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(id);
            } catch (SQLException | RuntimeException e) {
                Connection broken = sessions.remove(node);
                if (broken != null) {
                    try {
                        broken.close();
                    } catch (SQLException ignored) {
                        // ended by the fence already
                    }
                }
            }
            id++;
            Testkit.sleep(10);
        }
        sessions.values().forEach(connection -> {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // gone
            }
        });
    }

    /** A 3-node cluster whose monitoring user is the agents' login, with a table and an application user. */
    /**
     * Lag in MariaDB's unit, transactions, at a node's own agent's routing check: a follower whose applier stopped
     * while 100 transactions arrived is out of the read pool at {@code max-lag-transactions=50} and in it at 200; a
     * byte limit is refused with what to use instead.
     */
    @Test
    void aFollowerAHundredTransactionsBehindIsOutOfTheReadPoolAtFiftyAndInItAtTwoHundred() throws Exception {
        try (MariaDbCluster db = cluster("mlag", 2)) {
            MariaDbNode follower = db.nodes().get(1);
            // the routing checks only: the node's cluster and name, no data directory (no node actions)
            QuarkusService agent = plane.startAgent("node-agent-mlag-2", "zone-mlag", Map.of(
                    "REGENT_MONITOR_NODE_CLUSTER_ID", "mlag", "REGENT_MONITOR_NODE_NAME", follower.name()));
            QuarkusService failover = failoverFor(db, "group-mlag"); // its gauges: lag in the engine's unit
            try (AutoCloseable registered = plane.register(db, Map.of("automatic", false))) {
                await().atMost(Duration.ofSeconds(30)).until(() -> plane.ownedBy(failover).contains("mlag"));
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .until(() -> check(agent, "/follower?max-lag-transactions=50").startsWith("200 follower "
                                + follower.name() + " of mlag, "));
                follower.execute("STOP SLAVE SQL_THREAD");
                for (int i = 0; i < 100; i++) {
                    db.initialLeader().execute("INSERT INTO app.t VALUES (" + (1000 + i) + ")"); // one each
                }
                // once the agent's probe saw all 100 arrive (a probe from the middle of the inserts shows fewer);
                // the agents' heartbeats commit on the leader too, so a few more arrive while this runs
                java.util.regex.Pattern behind = java.util.regex.Pattern.compile("^503 .* is (\\d+) transactions "
                        + "behind \\(limit 50\\)");
                String out = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                        .until(() -> check(agent, "/follower?max-lag-transactions=50"), a -> {
                            java.util.regex.Matcher m = behind.matcher(a.strip());
                            return m.find() && Integer.parseInt(m.group(1)) >= 100;
                        });
                java.util.regex.Matcher count = behind.matcher(out.strip());
                assertThat(count.find()).as(out).isTrue();
                assertThat(Integer.parseInt(count.group(1))).as(out).isLessThan(200);
                String in = check(agent, "/follower?max-lag-transactions=200");
                assertThat(in).startsWith("200 follower " + follower.name() + " of mlag, ")
                        .contains(" transactions behind leader " + db.initialLeader().name());
                assertThat(check(agent, "/follower?max-lag-bytes=16777216")).startsWith("400 max-lag-bytes does "
                        + "not apply to MariaDB: its lag is counted in transactions");
                // the metric counts transactions too, and a MariaDB node has no byte lag series at all
                String scrape = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                        .until(() -> check(failover, "/q/metrics"), metrics -> metrics.lines()
                                .filter(line -> line.startsWith("regent_node_lag_transactions{"))
                                .filter(line -> line.contains("cluster=\"mlag\"")
                                        && line.contains("node=\"" + follower.name() + "\""))
                                .anyMatch(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)) >= 100));
                assertThat(scrape).as("no byte lag for MariaDB").doesNotContain("regent_node_lag_bytes{cluster=\"mlag\"");
                follower.execute("START SLAVE SQL_THREAD");
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                        .until(() -> check(agent, "/follower?max-lag-transactions=50").startsWith("200 "));
            } finally {
                agent.close();
                plane.agents.remove(agent);
            }
        }
    }

    /** "status body" of a routing check on {@code agent}. */
    private static String check(QuarkusService agent, String path) throws Exception {
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(agent.url().resolve(path)).timeout(Duration.ofSeconds(5)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }

    private static MariaDbCluster cluster(String name, int nodes) {
        return prepared(MariaDbCluster.start(name, nodes, CONTROL_ROLE));
    }

    private static MariaDbCluster prepared(MariaDbCluster db) {
        db.initialLeader().execute("CREATE DATABASE app");
        db.initialLeader().execute("CREATE TABLE app.t (id INT PRIMARY KEY) ENGINE=InnoDB");
        db.initialLeader().execute("INSERT INTO app.t VALUES (1), (2), (3)");
        db.initialLeader().execute("CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '" + APP.password() + "'");
        db.initialLeader().execute("GRANT INSERT, SELECT ON app.* TO 'app'@'127.0.0.1'");
        db.awaitCaughtUp(Duration.ofSeconds(20));
        return db;
    }

    /** A failover-service acting as the cluster's action user, rejoining old leaders as its replication user. */
    private static QuarkusService failoverFor(MariaDbCluster db, String group) {
        return plane.startFailover("failover-" + db.name(), group, Map.of("regent.failover.mariadb.replication-user",
                db.replicationUser().user()), db.controlUser(), Map.of("REGENT_MARIADB_REPLICATION_PASSWORD",
                db.replicationUser().password()));
    }

    private static long awaitWatched(MariaDbCluster db, QuarkusService... instances) {
        await().atMost(Duration.ofSeconds(30)).until(() -> owners(db, instances).size() == 1);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() ->
                plane.nodeHealthObservers(db.name()) >= 3);
        Testkit.sleep(2_000);
        return plane.topology(db.name()).epoch();
    }

    private static List<QuarkusService> owners(MariaDbCluster db, QuarkusService... instances) {
        return java.util.Arrays.stream(instances).filter(i -> i.process().isAlive()
                && plane.ownedBy(i).contains(db.name())).toList();
    }

    /** The first node other than the initial leader that is writable and replicates from nobody. */
    private static MariaDbNode awaitNewLeader(MariaDbCluster db) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            for (MariaDbNode node : db.nodes()) {
                if (node != db.initialLeader() && node.isRunning() && !node.isReadOnly()
                        && node.query("SHOW SLAVE STATUS").isEmpty()) {
                    return node;
                }
            }
            return null;
        }, node -> node != null);
    }

    private static void assertFollows(MariaDbNode follower, MariaDbNode leader) {
        assertThat(follower.isReplicating()).as(follower.name() + " replicates").isTrue();
        assertThat(follower.query("SHOW SLAVE STATUS").get(0).get("Master_Port")).as(follower.name())
                .hasToString(Integer.toString(leader.port()));
        assertThat(follower.isReadOnly()).as(follower.name()).isTrue();
        assertThat(follower.gtidSlavePos()).as(follower.name() + " applied the leader's last write")
                .isEqualTo(leader.gtidBinlogPos());
    }

    /** The only operation of {@code kind} once it ended (the registry announces a change before the operation ends). */
    private static OperationUpdated finished(OperationKind kind, String cluster) {
        return await().atMost(Duration.ofSeconds(20)).until(() -> only(kind, cluster), o -> o.status().isFinal());
    }

    private static OperationUpdated only(OperationKind kind, String cluster) {
        List<OperationUpdated> operations = plane.operations(cluster).stream().filter(o -> o.kind() == kind).toList();
        assertThat(operations).as("%s operations of %s", kind, cluster).hasSize(1);
        return operations.get(0);
    }

    private static NodeRole role(TopologyChanged topology, String node) {
        return topology.nodes().stream().filter(n -> n.name().equals(node)).map(TopologyNode::role).findFirst()
                .orElseThrow();
    }
}
