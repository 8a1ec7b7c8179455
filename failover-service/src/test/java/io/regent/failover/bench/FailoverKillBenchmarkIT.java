package io.regent.failover.bench;

import static org.awaitility.Awaitility.await;

import io.regent.events.OperationKind;
import io.regent.events.OperationPhase;
import io.regent.events.OperationUpdated;
import io.regent.events.Phases;
import io.regent.testkit.stack.ControlPlane;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * N kill -9 trials, each on a fresh 3-node cluster watched by 3 agents and one failover-service
 * instance with default settings: the time from the kill to each recorded phase and to the first
 * write a client gets accepted on the new leader (it tries every follower every 20 ms). Not a
 * test: it runs only with {@code -Pbench} and prints p50/p95/p99 (with few trials the high
 * percentiles are the worst trials).
 *
 * <pre>./mvnw -Pbench -pl failover-service -am verify -Dsurefire.failIfNoSpecifiedTests=false -Dtest=none -Dit.test=FailoverKillBenchmarkIT -Dbench.trials=10</pre>
 */
@Tag("benchmark")
class FailoverKillBenchmarkIT {

    private static final int TRIALS = Integer.getInteger("bench.trials", 10);
    private static final List<String> PHASES = List.of(Phases.DETECTED, Phases.DECIDED, Phases.FENCED,
            Phases.PROMOTED, Phases.REPOINTED, Phases.ANNOUNCED);

    @Test
    void killToFirstAcceptedWrite() throws Exception {
        Map<String, List<Long>> samples = new LinkedHashMap<>();
        try (ControlPlane plane = ControlPlane.start(3)) {
            plane.startFailover("failover-bench", "group-bench", Map.of());
            for (int trial = 1; trial <= TRIALS; trial++) {
                Map<String, Long> result = trial(plane, "bench-" + trial);
                result.forEach((name, millis) -> samples.computeIfAbsent(name, k -> new ArrayList<>()).add(millis));
                System.out.println("trial " + trial + ": " + result);
            }
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "Failover benchmark: %d kill -9 trials, 3 nodes, 3 agents, default settings "
                + "(probe 1 s, window 1.5 s, quorum 2)%n", TRIALS);
        System.out.printf(Locale.ROOT, "%-28s %8s %8s %8s %8s %8s%n", "from kill to (ms)", "p50", "p95", "p99", "min",
                "max");
        StringBuilder json = new StringBuilder("{");
        for (Map.Entry<String, List<Long>> entry : samples.entrySet()) {
            long[] sorted = entry.getValue().stream().mapToLong(Long::longValue).sorted().toArray();
            System.out.printf(Locale.ROOT, "%-28s %8d %8d %8d %8d %8d%n", entry.getKey(), percentile(sorted, 50),
                    percentile(sorted, 95), percentile(sorted, 99), sorted[0], sorted[sorted.length - 1]);
            json.append(json.length() > 1 ? "," : "").append(String.format(Locale.ROOT,
                    "\"%s\":{\"p50\":%d,\"p95\":%d,\"p99\":%d,\"n\":%d}", entry.getKey(), percentile(sorted, 50),
                    percentile(sorted, 95), percentile(sorted, 99), sorted.length));
        }
        System.out.println(json.append("}"));
    }

    private static Map<String, Long> trial(ControlPlane plane, String name) throws Exception {
        try (PostgresCluster pg = PostgresCluster.builder().name(name).nodes(3).controlRole(ControlPlane.CONTROL_ROLE)
                .start()) {
            pg.initialLeader().execute("CREATE TABLE t (id serial PRIMARY KEY, at timestamptz DEFAULT now())");
            AutoCloseable registration = plane.register(pg, Map.of());
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> plane.nodeHealthObservers(name) >= 3);
                Thread.sleep(3_000); // steady state: every agent has several healthy sightings
                List<PostgresNode> followers = pg.nodes().subList(1, 3);
                Map<PostgresNode, Connection> clients = new HashMap<>();
                Instant killed = Instant.now();
                pg.initialLeader().kill();
                Instant written = firstAcceptedWrite(followers, clients, Duration.ofSeconds(60));
                clients.values().forEach(FailoverKillBenchmarkIT::close);
                OperationUpdated op = await().atMost(Duration.ofSeconds(60)).until(() -> plane.operations(name)
                        .stream().filter(o -> o.kind() == OperationKind.FAILOVER).findFirst().orElse(null),
                        o -> o != null && o.status().isFinal());
                Map<String, Long> result = new LinkedHashMap<>();
                for (String phase : PHASES) {
                    op.phases().stream().filter(p -> p.name().equals(phase)).map(OperationPhase::at).findFirst()
                            .ifPresent(at -> result.put(phase, Duration.between(killed, at).toMillis()));
                }
                result.put("first write accepted", Duration.between(killed, written).toMillis());
                return result;
            } finally {
                registration.close();
            }
        }
    }

    /** Tries an insert on every follower every 20 ms until one accepts it: what a client retrying sees. */
    private static Instant firstAcceptedWrite(List<PostgresNode> followers, Map<PostgresNode, Connection> clients,
            Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (PostgresNode node : followers) {
                try {
                    Connection connection = clients.computeIfAbsent(node, PostgresNode::connect);
                    try (Statement statement = connection.createStatement()) {
                        statement.execute("INSERT INTO t DEFAULT VALUES");
                        return Instant.now();
                    }
                } catch (SQLException | RuntimeException e) {
                    if (!(e instanceof SQLException sql) || !"25006".equals(sql.getSQLState())) {
                        close(clients.remove(node)); // not the read-only refusal: reconnect next time
                    }
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no follower accepted a write within " + timeout);
    }

    private static long percentile(long[] sorted, double p) {
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
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
