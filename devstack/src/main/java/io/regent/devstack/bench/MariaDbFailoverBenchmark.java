package io.regent.devstack.bench;

import io.regent.devstack.client.TopologyFollower;
import io.regent.devstack.demo.Await;
import io.regent.devstack.demo.DemoException;
import io.regent.events.OperationKind;
import io.regent.events.OperationPhase;
import io.regent.events.OperationUpdated;
import io.regent.events.Phases;
import io.regent.events.TopologyChanged;
import io.regent.testkit.Testkit;
import io.regent.testkit.mariadb.MariaDbCluster;
import io.regent.testkit.mariadb.MariaDbNode;
import io.regent.testkit.postgres.Credentials;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ControlPlane;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./regent bench failover --engine mariadb}: kill -9 trials of a MariaDB leader under the real
 * control plane - Kafka, the registry on PostgreSQL, three agents and a failover-service, each its own
 * process from the built modules - each trial on a fresh 3-node GTID cluster. The demo stack
 * (Keycloak, gateway, dashboard) runs PostgreSQL only so far, so this benchmark starts the parts a
 * failover involves itself, with the same settings. Per trial: the time from the kill to each phase
 * the failover-service recorded, to the new topology reaching a subscriber of the topology topic, and
 * to the first write an application user (no privilege beyond its tables, so {@code read_only} stops
 * it) gets accepted, trying every follower every 20 ms.
 */
public final class MariaDbFailoverBenchmark {

    private static final Duration STEP_BUDGET = Duration.ofSeconds(90);
    private static final Credentials APP = new Credentials("bench_app", "bench-" + Testkit.randomSecret());
    private static final List<String> COLUMNS = List.of(Phases.DETECTED, Phases.DECIDED, Phases.PROMOTED,
            "announced", "first_write");
    private static final int READ_ONLY = 1290;

    private final Path repository;
    private final PrintStream out;
    private String lastChange = "";

    public MariaDbFailoverBenchmark(Path repository, PrintStream out) {
        this.repository = repository;
        this.out = out;
    }

    /** Runs the trials, printing one row each; returns the JSON summary line (for the caller to print last). */
    public String run(int trials) {
        Map.of("registry", "registry-service", "monitor", "monitor-service", "failover", "failover-service")
                .forEach((service, module) -> {
                    Path jar = repository.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
                    if (!Files.isRegularFile(jar)) {
                        throw new DemoException(jar + " is missing: build first (./regent build)");
                    }
                    System.setProperty("regent.it." + service + "-jar", jar.toString());
                });
        Map<String, List<Long>> samples = new LinkedHashMap<>();
        COLUMNS.forEach(c -> samples.put(c, new ArrayList<>()));
        out.println("starting Kafka, the registry and three agents ...");
        try (ControlPlane plane = ControlPlane.start(3)) {
            out.printf("%-6s %s  %s%n", "trial", String.join("  ", COLUMNS.stream()
                    .map(c -> String.format("%14s", c + "_ms")).toList()), "leader");
            for (int trial = 1; trial <= trials; trial++) {
                Map<String, Long> row = trial(plane, "mbench-" + trial);
                COLUMNS.forEach(c -> samples.get(c).add(row.get(c)));
                out.printf("%-6d %s  %s%n", trial, String.join("  ", COLUMNS.stream()
                        .map(c -> String.format("%14d", row.get(c))).toList()), lastChange);
            }
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("benchmark", "failover-kill");
        summary.put("engine", "MARIADB");
        summary.put("trials", trials);
        summary.put("unit", "ms");
        samples.forEach((column, values) -> summary.put(column, Stats.summary(values)));
        try {
            return ControlPlane.JSON.writeValueAsString(summary);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, Long> trial(ControlPlane plane, String name) {
        try (MariaDbCluster db = MariaDbCluster.start(name, 3, ControlPlane.CONTROL_ROLE)) {
            MariaDbNode first = db.initialLeader();
            first.execute("CREATE DATABASE app");
            first.execute("CREATE TABLE app.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, at TIMESTAMP(6) DEFAULT NOW(6))");
            first.execute("CREATE USER '" + APP.user() + "'@'127.0.0.1' IDENTIFIED BY '" + APP.password() + "'");
            first.execute("GRANT INSERT, SELECT ON app.* TO '" + APP.user() + "'@'127.0.0.1'");
            db.awaitCaughtUp(Duration.ofSeconds(30));
            QuarkusService failover = plane.startFailover("failover-" + name, "group-" + name, Map.of(
                    "regent.failover.mariadb.replication-user", db.replicationUser().user()), db.controlUser(),
                    Map.of("REGENT_MARIADB_REPLICATION_PASSWORD", db.replicationUser().password()));
            try (AutoCloseable registration = plane.register(db, Map.of());
                 TopologyFollower topology = new TopologyFollower(plane.kafka.clientConfig(io.regent.events.KafkaAccess.APPLICATION), name)) {
                await("the failover-service to own " + name, () -> plane.ownedBy(failover).contains(name) ? true : null);
                await("three agents to watch " + name, () -> plane.nodeHealthObservers(name) >= 3 ? true : null);
                Testkit.sleep(3_000); // steady state: every agent has several healthy sightings
                TopologyChanged before = await("the first topology", topology::latest);

                Map<MariaDbNode, Connection> clients = new HashMap<>();
                Instant killed = Instant.now();
                first.kill();
                Instant written = firstAcceptedWrite(db.nodes().subList(1, 3), clients);
                clients.values().forEach(MariaDbFailoverBenchmark::close);
                TopologyChanged after = await("the new topology", () -> topology.firstNewLeaderAfter(before.epoch(),
                        before.leader()));
                OperationUpdated op = await("the failover's record", () -> plane.operations(name).stream()
                        .filter(o -> o.kind() == OperationKind.FAILOVER && o.status().isFinal()).findFirst()
                        .orElse(null));
                Map<String, Long> row = new LinkedHashMap<>();
                for (String phase : List.of(Phases.DETECTED, Phases.DECIDED, Phases.PROMOTED)) {
                    row.put(phase, Duration.between(killed, op.phases().stream().filter(p -> p.name().equals(phase))
                            .map(OperationPhase::at).findFirst().orElseThrow(() -> new DemoException("failover "
                                    + op.operationId() + " ended " + op.status() + " without " + phase + ": "
                                    + op.error()))).toMillis());
                }
                row.put("announced", Duration.between(killed, topology.receivedAt(after.epoch())).toMillis());
                row.put("first_write", Duration.between(killed, written).toMillis());
                lastChange = before.leader() + " -> " + after.leader();
                return row;
            } catch (Exception e) {
                throw e instanceof RuntimeException runtime ? runtime : new DemoException("trial " + name + ": " + e);
            } finally {
                plane.stopFailoverInstances();
            }
        }
    }

    /** Tries an insert on every follower every 20 ms until one accepts it: what a retrying client sees. */
    private static Instant firstAcceptedWrite(List<MariaDbNode> followers, Map<MariaDbNode, Connection> clients) {
        long deadline = System.nanoTime() + STEP_BUDGET.toNanos();
        while (System.nanoTime() < deadline) {
            for (MariaDbNode node : followers) {
                try {
                    Connection connection = clients.computeIfAbsent(node, n -> n.connect(APP));
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("INSERT INTO app.t () VALUES ()");
                        return Instant.now();
                    }
                } catch (SQLException | RuntimeException e) {
                    if (!(e instanceof SQLException sql) || sql.getErrorCode() != READ_ONLY) {
                        close(clients.remove(node)); // not the read-only refusal: reconnect next time
                    }
                }
            }
            Testkit.sleep(20);
        }
        throw new DemoException("no follower accepted a write within " + STEP_BUDGET);
    }

    private static <T> T await(String what, java.util.function.Supplier<T> condition) {
        return Await.until(what, STEP_BUDGET, 50, condition);
    }

    private static void close(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // gone already
            }
        }
    }
}
