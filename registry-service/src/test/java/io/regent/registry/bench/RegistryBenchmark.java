package io.regent.registry.bench;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.regent.registry.Tokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Throughput and latency of topology reads and compare-and-set writes (each with its outbox row),
 * over HTTP against a real PostgreSQL and Kafka. Not a test: it asserts nothing and runs only with
 * {@code -Pbench}; the load generator shares the machine's cores with the registry and PostgreSQL.
 *
 * <pre>./mvnw -Pbench -pl registry-service -am verify -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@QuarkusTest
@Tag("benchmark")
class RegistryBenchmark {

    private static final int CLIENTS = Integer.getInteger("bench.clients", 16);
    private static final Duration WARM_UP = Duration.ofSeconds(Integer.getInteger("bench.warmup-seconds", 5));
    private static final Duration MEASURE = Duration.ofSeconds(Integer.getInteger("bench.seconds", 15));

    @TestHTTPResource("/api/v1/clusters/")
    URI clusters;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void topologyReadsAndCompareAndSetWrites() throws Exception {
        String admin = Tokens.forRoles("bench-admin", "regent-admin");
        String service = Tokens.forRoles("bench-service", "regent-service");
        for (int c = 0; c < CLIENTS; c++) {
            String id = "bench-" + c;
            send("POST", clusters, admin, "{\"id\":\"" + id + "\",\"displayName\":\"bench\",\"engine\":\"POSTGRESQL\","
                    + "\"nodes\":[{\"name\":\"a\",\"host\":\"10.0.0.1\",\"port\":5432,\"role\":\"LEADER\"},"
                    + "{\"name\":\"b\",\"host\":\"10.0.0.2\",\"port\":5432},"
                    + "{\"name\":\"c\",\"host\":\"10.0.0.3\",\"port\":5432}]}", 201);
        }

        // the harness's own ceiling: an endpoint with no token and no database
        Result baseline = run("HTTP baseline", (client, i) -> send("GET", clusters.resolve("/q/health/live"), service,
                null, 200));
        Result reads = run("topology reads", (client, epoch) -> send("GET", clusters.resolve("bench-" + client
                + "/topology"), service, null, 200));
        long[] epochs = new long[CLIENTS];
        Result writes = run("CAS writes", (client, ignored) -> {
            long expected = epochs[client];
            String leader = expected % 2 == 0 ? "b" : "a";
            send("PUT", clusters.resolve("bench-" + client + "/topology"), service,
                    "{\"expectedEpoch\":" + expected + ",\"leader\":\"" + leader + "\",\"reason\":\"bench\"}", 200);
            epochs[client] = expected + 1;
        });

        System.out.println();
        System.out.println("Registry benchmark: " + CLIENTS + " clients, " + MEASURE.toSeconds() + " s each, fsync="
                + System.getProperty("regent.testkit.pg.fsync", "off"));
        System.out.println(Result.HEADER);
        System.out.println(baseline.row());
        System.out.println(reads.row());
        System.out.println(writes.row());
        System.out.println("{\"baseline\":" + baseline.json() + ",\"reads\":" + reads.json() + ",\"casWrites\":" + writes.json() + "}");
    }

    interface Action {
        void call(int client, long iteration) throws Exception;
    }

    private Result run(String name, Action action) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            runFor(pool, WARM_UP, action);
            long started = System.nanoTime();
            List<long[]> latencies = runFor(pool, MEASURE, action);
            double seconds = (System.nanoTime() - started) / 1e9;
            long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            return new Result(name, all.length / seconds, all);
        } finally {
            pool.shutdownNow();
        }
    }

    private List<long[]> runFor(ExecutorService pool, Duration duration, Action action) throws Exception {
        long end = System.nanoTime() + duration.toNanos();
        List<Future<long[]>> futures = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            futures.add(pool.submit(() -> {
                long[] samples = new long[1 << 16];
                int n = 0;
                for (long i = 0; System.nanoTime() < end; i++) {
                    long t0 = System.nanoTime();
                    action.call(client, i);
                    if (n == samples.length) {
                        samples = Arrays.copyOf(samples, n * 2);
                    }
                    samples[n++] = System.nanoTime() - t0;
                }
                return Arrays.copyOf(samples, n);
            }));
        }
        List<long[]> results = new ArrayList<>();
        for (Future<long[]> future : futures) {
            results.add(future.get());
        }
        return results;
    }

    private void send(String method, URI uri, String token, String body, int expected) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token)
                .header("Accept", "application/json");
        if (body != null) {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IllegalStateException(method + " " + uri + " -> " + response.statusCode() + " "
                    + response.body());
        }
    }

    record Result(String name, double perSecond, long[] sortedNanos) {
        static final String HEADER = String.format(Locale.ROOT, "%-16s %10s %8s %8s %8s %8s %8s", "operation",
                "ops/s", "count", "p50 ms", "p95 ms", "p99 ms", "max ms");

        double percentile(double p) {
            if (sortedNanos.length == 0) {
                return Double.NaN;
            }
            int index = (int) Math.min(sortedNanos.length - 1, Math.ceil(p / 100 * sortedNanos.length) - 1);
            return sortedNanos[Math.max(0, index)] / 1e6;
        }

        String row() {
            return String.format(Locale.ROOT, "%-16s %10.0f %8d %8.2f %8.2f %8.2f %8.2f", name, perSecond,
                    sortedNanos.length, percentile(50), percentile(95), percentile(99), percentile(100));
        }

        String json() {
            return String.format(Locale.ROOT, "{\"opsPerSecond\":%.0f,\"count\":%d,\"p50Ms\":%.2f,\"p95Ms\":%.2f,"
                    + "\"p99Ms\":%.2f,\"maxMs\":%.2f}", perSecond, sortedNanos.length, percentile(50),
                    percentile(95), percentile(99), percentile(100));
        }
    }
}
