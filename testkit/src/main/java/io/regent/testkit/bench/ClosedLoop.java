package io.regent.testkit.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A closed-loop HTTP load generator for benchmarks: each client sends its next request as soon as the
 * previous one is answered - or, paced ({@link #paced}), at its next scheduled time, so that the
 * latency at a given throughput is measured rather than the latency of a saturated server. A paced
 * request counts from when it was due, not when it went out: a client held up by a slow answer does
 * not hide the wait of the requests it could not send (no coordinated omission). Clients are Vert.x (Netty) connections on a small event-loop pool, so the
 * generator costs a fraction of a core and the server under test - not the harness - is what is
 * measured (a thread per client on the JDK's {@code HttpClient} took a whole core at ~3,000 req/s here).
 */
public final class ClosedLoop {

    /** One request; {@code body} null for none. */
    public record Request(HttpMethod method, String path, String body) {

        public static Request get(String path) {
            return new Request(HttpMethod.GET, path, null);
        }
    }

    /** What each client sends; told each answer so that it can build the next request (e.g. an epoch). */
    public interface Script {

        Request next(int client, long iteration);

        /** @return whether the answer counts as a success */
        default boolean answered(int client, int status, Buffer body) {
            return status / 100 == 2;
        }
    }

    /** Latencies of the successful and failed requests of one run, sorted. */
    public record Result(String name, int clients, double seconds, long[] sortedNanos, long errors) {

        public static final String HEADER = String.format(Locale.ROOT, "%-16s %7s %10s %8s %8s %8s %8s %8s %7s",
                "operation", "clients", "ops/s", "count", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors");

        public double perSecond() {
            return sortedNanos.length / seconds;
        }

        public double percentileMillis(double p) {
            if (sortedNanos.length == 0) {
                return Double.NaN;
            }
            int index = (int) Math.min(sortedNanos.length - 1, Math.ceil(p / 100 * sortedNanos.length) - 1);
            return sortedNanos[Math.max(0, index)] / 1e6;
        }

        public String row() {
            return String.format(Locale.ROOT, "%-16s %7d %10.0f %8d %8.2f %8.2f %8.2f %8.2f %7d", name, clients,
                    perSecond(), sortedNanos.length, percentileMillis(50), percentileMillis(95), percentileMillis(99),
                    percentileMillis(100), errors);
        }

        public String json() {
            return String.format(Locale.ROOT, "{\"clients\":%d,\"opsPerSecond\":%.0f,\"count\":%d,\"p50Ms\":%.2f,"
                    + "\"p95Ms\":%.2f,\"p99Ms\":%.2f,\"maxMs\":%.2f,\"errors\":%d}", clients, perSecond(),
                    sortedNanos.length, percentileMillis(50), percentileMillis(95), percentileMillis(99),
                    percentileMillis(100), errors);
        }
    }

    private ClosedLoop() {
    }

    /**
     * Runs {@code clients} closed loops against {@code base} for {@code duration}, every request with
     * {@code headers}; a request counts from its send to the end of its answer's body.
     */
    public static Result run(String name, URI base, Map<String, String> headers, int clients, Duration duration,
            Script script) {
        return run(name, base, headers, clients, duration, script, 0);
    }

    /**
     * As {@link #run}, the clients together sending {@code perSecond} requests a second, evenly spaced;
     * the result's rate falls short of it when the server cannot keep up.
     */
    public static Result paced(String name, URI base, Map<String, String> headers, int clients, Duration duration,
            Script script, int perSecond) {
        if (perSecond <= 0) {
            throw new IllegalArgumentException("a paced run needs a positive rate, not " + perSecond);
        }
        return run(name, base, headers, clients, duration, script, perSecond);
    }

    private static Result run(String name, URI base, Map<String, String> headers, int clients, Duration duration,
            Script script, int perSecond) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        try {
            HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(base.getHost())
                    .setDefaultPort(base.getPort()).setKeepAlive(true).setMaxPoolSize(clients));
            long[][] latencies = new long[clients][];
            int[] counts = new int[clients];
            AtomicLong errors = new AtomicLong();
            CountDownLatch done = new CountDownLatch(clients);
            long started = System.nanoTime();
            long end = started + duration.toNanos();
            // paced: each client every clients/perSecond, the clients staggered across one interval
            long interval = perSecond == 0 ? 0 : 1_000_000_000L * clients / perSecond;
            for (int c = 0; c < clients; c++) {
                int client = c;
                latencies[client] = new long[1 << 14];
                long first = started + interval * client / clients;
                vertx.runOnContext(ignored -> new Loop(vertx, http, headers, script, client, first, interval, end,
                        latencies, counts, errors, done).next(0));
            }
            if (!done.await(duration.toSeconds() + 60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + ": clients still waiting for answers 60 s after the end");
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            long[] all = new long[Arrays.stream(counts).sum()];
            int at = 0;
            for (int c = 0; c < clients; c++) {
                System.arraycopy(latencies[c], 0, all, at, counts[c]);
                at += counts[c];
            }
            Arrays.sort(all);
            return new Result(name, clients, seconds, all, errors.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(name + ": interrupted", e);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
        }
    }

    /** One client's loop; runs on one event-loop context, so its state needs no locking. */
    private record Loop(Vertx vertx, HttpClient http, Map<String, String> headers, Script script, int client,
            long first, long interval, long end, long[][] latencies, int[] counts, AtomicLong errors,
            CountDownLatch done) {

        void next(long iteration) {
            long due = interval == 0 ? System.nanoTime() : first + iteration * interval;
            if (due >= end) {
                done.countDown();
                return;
            }
            long wait = due - System.nanoTime();
            if (wait >= 1_000_000) {
                vertx.setTimer(wait / 1_000_000, id -> send(iteration, due));
            } else {
                send(iteration, due);
            }
        }

        /** Sends one request; its latency counts from {@code due} (paced) or from now (unpaced). */
        private void send(long iteration, long due) {
            Request request = script.next(client, iteration);
            RequestOptions options = new RequestOptions().setMethod(request.method()).setURI(request.path());
            headers.forEach(options::putHeader);
            if (request.body() != null) {
                options.putHeader("Content-Type", "application/json");
            }
            long t0 = interval == 0 ? System.nanoTime() : due;
            http.request(options)
                    .compose(sent -> (request.body() == null ? sent.send() : sent.send(request.body()))
                            .compose(response -> response.body().map(body -> script.answered(client,
                                    response.statusCode(), body))))
                    .onComplete(result -> {
                        if (result.failed() || !result.result()) {
                            errors.incrementAndGet();
                        } else {
                            record(System.nanoTime() - t0);
                        }
                        next(iteration + 1);
                    });
        }

        private void record(long nanos) {
            if (counts[client] == latencies[client].length) {
                latencies[client] = Arrays.copyOf(latencies[client], counts[client] * 2);
            }
            latencies[client][counts[client]++] = nanos;
        }
    }
}
