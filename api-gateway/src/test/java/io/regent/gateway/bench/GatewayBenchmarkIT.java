package io.regent.gateway.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.events.Engine;
import io.regent.events.NodeRole;
import io.regent.events.RegentEvent;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.events.kafka.RegentEventSerializer;
import io.regent.testkit.FreePorts;
import io.regent.testkit.Testkit;
import io.regent.testkit.bench.ClosedLoop;
import io.regent.testkit.keycloak.Keycloak;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ControlPlane;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The gateway as a separate process with a real Keycloak and Kafka: (1) authenticated
 * {@code GET /api/v1/clusters/{id}/topology} requests per second from closed-loop clients, with
 * latency percentiles; (2) fan-out: 200 live-feed subscribers, a topology change published on the
 * topic, and the time until every subscriber has it. The load generator shares the machine's two
 * cores with the gateway, Kafka and Keycloak. The services run with production JVM settings
 * ({@code -Xmx512m}, both JIT tiers) unless {@code -Dregent.testkit.service-jvm-options} says otherwise.
 * Not a test: it runs only with {@code -Pbench}.
 *
 * <pre>./mvnw -Pbench -pl api-gateway -am verify -Dsurefire.failIfNoSpecifiedTests=false -Dtest=none \
 *     -Dit.test=GatewayBenchmarkIT [-Dbench.clients=8,32] [-Dbench.seconds=20] [-Dbench.subscribers=200] [-Dbench.rounds=20]</pre>
 */
@Tag("benchmark")
class GatewayBenchmarkIT {

    private static final int[] CLIENT_COUNTS = Arrays.stream(System.getProperty("bench.clients", "8,32").split(","))
            .map(String::strip).mapToInt(Integer::parseInt).toArray();
    private static final Duration WARM_UP = Duration.ofSeconds(Integer.getInteger("bench.warmup-seconds", 10));
    private static final Duration MEASURE = Duration.ofSeconds(Integer.getInteger("bench.seconds", 20));
    private static final int SUBSCRIBERS = Integer.getInteger("bench.subscribers", 200);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 20);
    private static final String CLUSTER = "bench";

    @Test
    void topologyReadsAndFeedFanOut() throws Exception {
        // the gateway as deployed (both JIT tiers), not the tests' quick-start settings
        System.setProperty(QuarkusService.JVM_OPTIONS, System.getProperty(QuarkusService.JVM_OPTIONS, "-Xmx512m"));
        int port = FreePorts.next();
        String password = "pw-" + Testkit.randomSecret();
        try (Keycloak keycloak = Keycloak.start("http://127.0.0.1:" + port);
             ControlPlane plane = ControlPlane.start(0, keycloak);
             QuarkusService gateway = plane.startGateway("gateway-bench", port, keycloak.issuer());
             KafkaProducer<String, RegentEvent> producer = new KafkaProducer<>(producerConfig(plane), new StringSerializer(),
                     new RegentEventSerializer(URI.create("/regent/bench")))) {
            keycloak.createUser("reader", password, "regent-viewer");
            producer.send(new ProducerRecord<>(Topics.TOPOLOGY.name(), CLUSTER, topology(1))).get();
            String token = keycloak.userToken("reader", password);
            URI topologyUri = gateway.url().resolve("/api/v1/clusters/" + CLUSTER + "/topology");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (http.send(get(topologyUri, token), HttpResponse.BodyHandlers.discarding()).statusCode() != 200) {
                assertThat(System.nanoTime()).as("the gateway shows the topology").isLessThan(deadline);
                Thread.sleep(200);
            }

            reads(topologyUri, token, CLIENT_COUNTS[0], WARM_UP, false);
            List<String> rows = new ArrayList<>();
            for (int clients : CLIENT_COUNTS) {
                long gatewayCpu = cpuNanos(gateway.process().pid());
                long ownCpu = cpuNanos(ProcessHandle.current().pid());
                long wall = System.nanoTime();
                String row = reads(topologyUri, keycloak.userToken("reader", password), clients, MEASURE, true);
                double seconds = (System.nanoTime() - wall) / 1e9;
                rows.add(row + String.format(Locale.ROOT, "; CPU cores: gateway %.2f, load generator %.2f",
                        (cpuNanos(gateway.process().pid()) - gatewayCpu) / 1e9 / seconds,
                        (cpuNanos(ProcessHandle.current().pid()) - ownCpu) / 1e9 / seconds));
            }
            rows.add(fanOut(gateway.url(), keycloak.userToken("reader", password), producer));
            System.out.println();
            rows.forEach(System.out::println);
        }
    }

    /** Closed-loop clients on the topology of the benchmark's cluster (see {@link ClosedLoop}). */
    private static String reads(URI uri, String token, int clients, Duration duration, boolean report) {
        ClosedLoop.Result result = ClosedLoop.run("topology reads", uri, Map.of("Authorization", "Bearer " + token),
                clients, duration, (client, iteration) -> ClosedLoop.Request.get(uri.getRawPath()));
        String row = String.format(Locale.ROOT, "topology reads: %d clients, %.0f s: %.0f req/s, errors %d, "
                + "p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms", clients, result.seconds(), result.perSecond(),
                result.errors(), result.percentileMillis(50), result.percentileMillis(95), result.percentileMillis(99),
                result.percentileMillis(100));
        if (report) {
            System.out.println(row);
        }
        return row;
    }

    /** 200 feed subscribers; per round, a new epoch on the topic and the time until the last subscriber has it. */
    private static String fanOut(URI gateway, String token, KafkaProducer<String, RegentEvent> producer)
            throws Exception {
        Map<Long, Map<Integer, Long>> arrivals = new ConcurrentHashMap<>(); // epoch -> subscriber -> nanoTime
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        CountDownLatch subscribed = new CountDownLatch(SUBSCRIBERS);
        List<CompletableFuture<?>> streams = new ArrayList<>();
        AtomicBoolean closing = new AtomicBoolean();
        List<Flow.Subscription> subscriptions = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int s = 0; s < SUBSCRIBERS; s++) {
            int subscriber = s;
            streams.add(http.sendAsync(HttpRequest.newBuilder(gateway.resolve("/api/v1/events?cluster=" + CLUSTER))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.fromLineSubscriber(
                            new Flow.Subscriber<String>() {
                                private String event;

                                @Override
                                public void onSubscribe(Flow.Subscription subscription) {
                                    subscriptions.add(subscription);
                                    subscribed.countDown();
                                    subscription.request(Long.MAX_VALUE);
                                }

                                @Override
                                public void onNext(String line) {
                                    if (line.startsWith("event:")) {
                                        event = line.substring(6).strip();
                                    } else if (line.startsWith("data:") && "topology".equals(event)) {
                                        int at = line.indexOf("\"epoch\":");
                                        if (at > 0) {
                                            int stop = at + 8;
                                            while (stop < line.length() && Character.isDigit(line.charAt(stop))) {
                                                stop++;
                                            }
                                            long epoch = Long.parseLong(line.substring(at + 8, stop));
                                            arrivals.computeIfAbsent(epoch, e -> new ConcurrentHashMap<>())
                                                    .putIfAbsent(subscriber, System.nanoTime());
                                        }
                                    }
                                }

                                @Override
                                public void onError(Throwable throwable) {
                                    if (!closing.get()) {
                                        System.err.println("subscriber " + subscriber + ": " + throwable);
                                    }
                                }

                                @Override
                                public void onComplete() {
                                }
                            })));
        }
        assertThat(subscribed.await(60, TimeUnit.SECONDS)).as("all subscribers connected").isTrue();
        Thread.sleep(2_000); // every subscriber has had its snapshot
        List<Long> allReached = new ArrayList<>();
        List<Long> each = new ArrayList<>();
        int incomplete = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long epoch = 100 + round;
            long sent = System.nanoTime();
            producer.send(new ProducerRecord<>(Topics.TOPOLOGY.name(), CLUSTER, topology(epoch))).get();
            long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (arrivals.getOrDefault(epoch, Map.of()).size() < SUBSCRIBERS && System.nanoTime() < wait) {
                Thread.sleep(5);
            }
            Map<Integer, Long> got = arrivals.getOrDefault(epoch, Map.of());
            if (got.size() < SUBSCRIBERS) {
                incomplete++;
            }
            got.values().forEach(t -> each.add((t - sent) / 1_000_000));
            allReached.add((got.values().stream().mapToLong(Long::longValue).max().orElse(sent) - sent) / 1_000_000);
            Thread.sleep(500);
        }
        closing.set(true);
        subscriptions.forEach(Flow.Subscription::cancel);
        streams.forEach(stream -> stream.cancel(true));
        long[] last = allReached.stream().mapToLong(Long::longValue).sorted().toArray();
        long[] every = each.stream().mapToLong(Long::longValue).sorted().toArray();
        return String.format(Locale.ROOT, "feed fan-out: %d subscribers, %d topology changes (publish -> last "
                + "subscriber): p50 %d ms, p95 %d ms, max %d ms; per delivery p50 %d ms, p99 %d ms; rounds where "
                + "someone missed it: %d", SUBSCRIBERS, ROUNDS, pct(last, 50), pct(last, 95), last[last.length - 1],
                pct(every, 50), pct(every, 99), incomplete);
    }

    private static long cpuNanos(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
    }

    private static TopologyChanged topology(long epoch) {
        List<TopologyNode> nodes = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            String name = CLUSTER + "-" + i;
            boolean leader = i == 1;
            nodes.add(new TopologyNode(name, "127.0.0.1", 5440 + i, "zone-" + i, leader ? NodeRole.LEADER
                    : NodeRole.FOLLOWER, 100, leader ? null : CLUSTER + "-1", List.of()));
        }
        return new TopologyChanged(CLUSTER, epoch, Engine.POSTGRESQL, CLUSTER + "-1", nodes, null, false, Instant.now(),
                "bench", null);
    }

    private static HttpRequest get(URI uri, String token) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10))
                .build();
    }

    private static long pct(long[] sorted, int percentile) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(percentile
                / 100.0 * sorted.length) - 1))];
    }

    private static Map<String, Object> producerConfig(ControlPlane plane) {
        Map<String, Object> config = new java.util.HashMap<>(plane.kafka.clientConfig(
                io.regent.events.KafkaAccess.ADMIN));
        config.put("acks", "all");
        config.put("linger.ms", 0);
        return config;
    }
}
