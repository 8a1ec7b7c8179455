package io.regent.registry.bench;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.regent.registry.Tokens;
import io.regent.testkit.bench.ClosedLoop;
import io.vertx.core.http.HttpMethod;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Throughput and latency of topology reads and compare-and-set writes (each with its outbox row),
 * over HTTP against a real PostgreSQL and Kafka. Not a test: it asserts nothing and runs only with
 * {@code -Pbench}; the load generator ({@link ClosedLoop}) shares the machine's cores with the
 * registry, PostgreSQL and Kafka.
 *
 * <p>Two kinds of phases: unpaced, each client sending as soon as it is answered (the most the
 * machine does, and the latency of a saturated server), then paced at the targets' rates (3,000
 * reads/s, 1,000 writes/s: {@code bench.read-rate}, {@code bench.write-rate}), the latency at that
 * throughput, counted from when each request was due.
 *
 * <pre>./mvnw -Pbench -pl registry-service -am verify -Dsurefire.failIfNoSpecifiedTests=false [-Dbench.clients=4,8]</pre>
 */
@QuarkusTest
@Tag("benchmark")
class RegistryBenchmark {

    private static final int[] CLIENT_COUNTS = Arrays.stream(System.getProperty("bench.clients", "4,8").split(","))
            .map(String::strip).mapToInt(Integer::parseInt).toArray();
    private static final Duration WARM_UP = Duration.ofSeconds(Integer.getInteger("bench.warmup-seconds", 5));
    private static final Duration MEASURE = Duration.ofSeconds(Integer.getInteger("bench.seconds", 15));
    /** Which phases run: reads (with the HTTP baseline), writes, or both. */
    private static final List<String> PHASES = List.of(System.getProperty("bench.phases", "reads,writes").split(","));
    private static final Duration JIT_WARM_UP_LIMIT = Duration.ofSeconds(Integer.getInteger("bench.jit-seconds", 180));
    private static final int PACED_CLIENTS = Integer.getInteger("bench.paced-clients", 8);
    private static final int READ_RATE = Integer.getInteger("bench.read-rate", 3_000);
    private static final int WRITE_RATE = Integer.getInteger("bench.write-rate", 1_000);

    @TestHTTPResource("/api/v1/clusters/")
    URI clusters;

    @Test
    void topologyReadsAndCompareAndSetWrites() throws Exception {
        String admin = Tokens.forRoles("bench-admin", "regent-admin");
        Map<String, String> service = Map.of("Authorization", "Bearer " + Tokens.forRoles("bench-service",
                "regent-service"), "Accept", "application/json");
        int most = Math.max(PACED_CLIENTS, Arrays.stream(CLIENT_COUNTS).max().orElse(8));
        HttpClient http = HttpClient.newHttpClient();
        for (int c = 0; c < most; c++) {
            create(http, admin, "bench-" + c);
        }
        long[] epochs = new long[most]; // every write succeeds: each client on its own cluster, right epoch
        ClosedLoop.Script reads = (client, i) -> ClosedLoop.Request.get("/api/v1/clusters/bench-" + client
                + "/topology");
        ClosedLoop.Script writes = new ClosedLoop.Script() {
            @Override
            public ClosedLoop.Request next(int client, long iteration) {
                long expected = epochs[client];
                return new ClosedLoop.Request(HttpMethod.PUT, "/api/v1/clusters/bench-" + client + "/topology",
                        "{\"expectedEpoch\":" + expected + ",\"leader\":\"" + (expected % 2 == 0 ? "b" : "a")
                                + "\",\"reason\":\"bench\"}");
            }

            @Override
            public boolean answered(int client, int status, io.vertx.core.buffer.Buffer body) {
                if (status == 200) {
                    epochs[client]++;
                    return true;
                }
                return false;
            }
        };
        // the JIT first: on two cores a saturating load starves the compiler threads for minutes, and
        // what would be measured is a JVM still compiling the request path, not the registry
        List<String> warmUps = new ArrayList<>();
        if (PHASES.contains("reads")) {
            warmUps.add(untilCompiled("topology reads", service, reads, READ_RATE / 2));
        }
        if (PHASES.contains("writes")) {
            warmUps.add(untilCompiled("CAS writes", service, writes, WRITE_RATE / 2));
        }
        List<ClosedLoop.Result> results = new ArrayList<>();
        for (int clients : CLIENT_COUNTS) {
            if (PHASES.contains("reads")) {
                // the harness's own ceiling: an endpoint with no token and no database
                results.add(phase("HTTP baseline", service, clients, (client, i) -> ClosedLoop.Request.get(
                        "/q/health/live")));
                results.add(phase("topology reads", service, clients, reads));
            }
            if (PHASES.contains("writes")) {
                results.add(phase("CAS writes", service, clients, writes));
            }
        }
        if (PHASES.contains("reads")) {
            results.add(paced("reads at " + READ_RATE + "/s", service, reads, READ_RATE));
        }
        if (PHASES.contains("writes")) {
            results.add(paced("CAS at " + WRITE_RATE + "/s", service, writes, WRITE_RATE));
        }
        System.out.println();
        System.out.println("Registry benchmark: " + MEASURE.toSeconds() + " s per phase after " + WARM_UP.toSeconds()
                + " s of warm-up, fsync=" + System.getProperty("regent.testkit.pg.fsync", "off"));
        warmUps.forEach(System.out::println);
        System.out.println(ClosedLoop.Result.HEADER);
        results.forEach(result -> System.out.println(result.row()));
        results.forEach(result -> System.out.println("{\"" + result.name() + "\":" + result.json() + "}"));
        // which write path the numbers are of: one statement, or the locking fallback
        http.send(HttpRequest.newBuilder(clusters.resolve("/q/metrics")).build(), HttpResponse.BodyHandlers.ofLines())
                .body().filter(line -> line.startsWith("regent_topology_compare_and_set")).forEach(System.out::println);
    }

    /**
     * Paced load at {@code rate} in windows of 5 s until the JIT compiles for less than 2 % of a
     * window (at most {@link #JIT_WARM_UP_LIMIT}); says how long that took.
     */
    private String untilCompiled(String name, Map<String, String> headers, ClosedLoop.Script script, int rate) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        Duration window = Duration.ofSeconds(5);
        long started = System.nanoTime();
        long compiled = jit.getTotalCompilationTime();
        long lastWindow;
        do {
            ClosedLoop.paced(name, clusters, headers, PACED_CLIENTS, window, script, rate);
            long now = jit.getTotalCompilationTime();
            lastWindow = now - compiled;
            compiled = now;
        } while (lastWindow > window.toMillis() / 50
                && System.nanoTime() - started < JIT_WARM_UP_LIMIT.toNanos());
        return String.format(java.util.Locale.ROOT, "JIT warm-up of %s at %d/s: %.0f s, %d ms compiling in the "
                + "last %d s", name, rate, (System.nanoTime() - started) / 1e9, lastWindow, window.toSeconds());
    }

    private ClosedLoop.Result phase(String name, Map<String, String> headers, int clients, ClosedLoop.Script script) {
        ClosedLoop.run(name, clusters, headers, clients, WARM_UP, script);
        return ClosedLoop.run(name, clusters, headers, clients, MEASURE, script);
    }

    private ClosedLoop.Result paced(String name, Map<String, String> headers, ClosedLoop.Script script, int rate) {
        ClosedLoop.paced(name, clusters, headers, PACED_CLIENTS, WARM_UP, script, rate);
        return ClosedLoop.paced(name, clusters, headers, PACED_CLIENTS, MEASURE, script, rate);
    }

    private void create(HttpClient http, String adminToken, String id) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(clusters)
                .header("Authorization", "Bearer " + adminToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\",\"displayName\":\"bench\","
                        + "\"engine\":\"POSTGRESQL\",\"nodes\":[{\"name\":\"a\",\"host\":\"10.0.0.1\",\"port\":5432,"
                        + "\"role\":\"LEADER\"},{\"name\":\"b\",\"host\":\"10.0.0.2\",\"port\":5432},"
                        + "{\"name\":\"c\",\"host\":\"10.0.0.3\",\"port\":5432}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException("cannot create " + id + ": " + response.statusCode() + " " + response.body());
        }
    }
}
