package io.regent.gateway.it;

import static io.regent.testkit.stack.ControlPlane.CONTROL_ROLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.events.Engine;
import io.regent.events.EventCodec;
import io.regent.events.EventType;
import io.regent.events.KafkaAccess;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.ProbeError;
import io.regent.events.ProbeErrorKind;
import io.regent.events.SwitchoverRequested;
import io.regent.events.TopicSpec;
import io.regent.events.Topics;
import io.regent.events.kafka.CommandSignature;
import io.regent.testkit.FreePorts;
import io.regent.testkit.Testkit;
import io.regent.testkit.keycloak.Keycloak;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ControlPlane;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who may make Regent act (issue 22, DESIGN.md invariant 12), end to end on real processes: a producer that holds
 * Kafka credentials allowed to write - a compromised agent, a leaked gateway login - still cannot make Regent
 * switch over or fail over with records it forges, and garbage of every kind on every topic stops no consumer of
 * any service: the routing checks keep answering, the leader stays, and a real failover after it shows as usual.
 */
class ControlChannelIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern SAMPLE = Pattern.compile(
            "^regent_kafka_records_rejected_total\\{([^}]*)\\}\\s+([0-9.eE+-]+)$", Pattern.MULTILINE);

    private static ControlPlane plane;
    private static Keycloak keycloak;
    private static QuarkusService gateway;
    /** One producer per principal, as a compromised service would hold it. */
    private static final Map<String, KafkaProducer<String, byte[]>> PRODUCERS = new HashMap<>();

    @BeforeAll
    static void start() {
        int port = FreePorts.next();
        keycloak = Keycloak.start("http://127.0.0.1:" + port);
        plane = ControlPlane.start(3, keycloak);
        gateway = plane.startGateway("gateway-cc", port, keycloak.issuer(), plane.registryUrl(),
                Map.of("regent.gateway.consumers.stalled-after", "3s",
                        "regent.gateway.agents.known", "agent-1,agent-2,agent-3"));
    }

    @AfterAll
    static void stop() {
        PRODUCERS.values().forEach(KafkaProducer::close);
        if (gateway != null) {
            gateway.close();
        }
        if (plane != null) {
            plane.close();
        }
        if (keycloak != null) {
            keycloak.close();
        }
    }

    @Test
    void forgedCommandsAndObservationsFromAllowedProducersMakeNothingHappenAndAreCounted() throws Exception {
        // only the plane's three agents count here
        QuarkusService failover = plane.startFailover("failover-forged", "group-forged", Map.of(
                "regent.failover.agents.known", "agent-1,agent-2,agent-3"));
        try (PostgresCluster pg = PostgresCluster.builder().name("forged").nodes(3).controlRole(CONTROL_ROLE).start();
             AutoCloseable registered = plane.register(pg, Map.of())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> plane.ownedBy(failover).contains("forged"));
            await().atMost(Duration.ofSeconds(30)).until(() -> status("/route/forged/forged-1/leader") == 200);

            // a leaked gateway login: a well-formed switchover with no signature, and one signed by a key no
            // failover-service trusts
            SwitchoverRequested forged = new SwitchoverRequested(UUID.randomUUID(), "forged", "forged-1", "forged-2",
                    0L, "mallory", Instant.now(), "forged");
            byte[] value = new EventCodec(URI.create("/regent/gateway/gateway-1")).encode(forged);
            produce(KafkaAccess.GATEWAY, new ProducerRecord<>(Topics.COMMANDS.name(), "forged", value));
            ProducerRecord<String, byte[]> selfSigned = new ProducerRecord<>(Topics.COMMANDS.name(), "forged", value);
            CommandSignature.sign(CommandSignature.privateKey(CommandSignature.newKeyPair()[0]),
                    Topics.COMMANDS.name(), "forged", value, "mallory", "regent-admin", Instant.now(),
                    selfSigned.headers());
            produce(KafkaAccess.GATEWAY, selfSigned);

            // a compromised agent: two invented agents see the leader refuse connections, for 6 s (four times the
            // detection window), the way two real agents would report a dead leader
            int sent = 0;
            long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
            while (System.nanoTime() < until) {
                for (String intruder : List.of("intruder-1", "intruder-2")) {
                    produce(KafkaAccess.MONITOR, new ProducerRecord<>(Topics.NODE_HEALTH.name(), "forged",
                            new EventCodec(URI.create("/regent/monitor/" + intruder)).encode(leaderDown(intruder))));
                    sent++;
                }
                assertThat(status("/route/forged/forged-1/leader")).as("the routing checks ignore them too")
                        .isEqualTo(200);
                Testkit.sleep(250);
            }
            int forgedObservations = sent;
            Testkit.sleep(3_000);

            assertThat(plane.topology("forged").leader()).as("nobody moved the leader").isEqualTo("forged-1");
            assertThat(plane.topology("forged").epoch()).isZero();
            assertThat(plane.operations("forged")).as("no operation was even started").isEmpty();
            assertThat(status("/route/forged/forged-1/leader")).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Map<String, Double> rejected = rejected(failover);
                assertThat(rejected.getOrDefault(Topics.COMMANDS.name() + "/unverified-command", 0.0))
                        .as("both forged commands dropped and counted: %s", rejected).isEqualTo(2.0);
                assertThat(rejected.getOrDefault(Topics.NODE_HEALTH.name() + "/unknown-agent", 0.0))
                        .as("every forged observation dropped and counted: %s", rejected)
                        .isEqualTo((double) forgedObservations);
            });
            assertThat(failover.process().logTail(3000)).as("logged once per source")
                    .containsOnlyOnce("from intruder-1 (unknown-agent)")
                    .containsOnlyOnce("from intruder-2 (unknown-agent)");
        } finally {
            plane.stopFailoverInstances();
        }
    }

    @Test
    void garbageOfEveryKindOnEveryTopicStopsNoConsumerAndAFailoverAfterItShowsAsUsual() throws Exception {
        QuarkusService failover = plane.startFailover("failover-garbage", "group-garbage", Map.of());
        try (PostgresCluster pg = PostgresCluster.builder().name("junk").nodes(3).controlRole(CONTROL_ROLE).start();
             AutoCloseable registered = plane.register(pg, Map.of())) {
            await().atMost(Duration.ofSeconds(30)).until(() -> plane.ownedBy(failover).contains("junk"));
            await().atMost(Duration.ofSeconds(30)).until(() -> status("/route/junk/junk-1/leader") == 200
                    && status("/route/junk/junk-2/follower") == 200 && status("/route/junk/junk-3/follower") == 200);
            Map<String, Double> before = rejected(gateway);

            Map<String, byte[]> garbage = garbage();
            for (TopicSpec topic : Topics.ALL) {
                for (Map.Entry<String, byte[]> kind : garbage.entrySet()) {
                    // on the compacted topology topic under a key of its own: under the cluster's key it would
                    // replace the cluster's snapshot for every later subscriber (only the registry may write there)
                    String key = topic == Topics.TOPOLOGY ? "junk-garbage" : "junk";
                    produce(writerOf(topic), new ProducerRecord<>(topic.name(), key, kind.getValue()));
                }
            }
            Testkit.sleep(4_000); // past routing.max-observation-age: only observations after the garbage count now

            assertThat(status("/route/junk/junk-1/leader")).isEqualTo(200);
            assertThat(status("/route/junk/junk-2/follower")).isEqualTo(200);
            assertThat(status("/route/junk/junk-3/follower")).isEqualTo(200);
            assertThat(status("/route/junk/junk-2/leader")).isEqualTo(503);
            assertThat(plane.topology("junk").leader()).isEqualTo("junk-1");
            // every consumer of every service skipped and counted each one, and is still ready
            int kinds = garbage.size();
            assertCounted(gateway, before, kinds, Topics.NODE_HEALTH, Topics.OPERATIONS, Topics.TOPOLOGY);
            assertCounted(failover, Map.of(), kinds, Topics.NODE_HEALTH, Topics.COMMANDS, Topics.TOPOLOGY);
            assertCounted(plane.registry(), Map.of(), kinds, Topics.TOPOLOGY);
            for (QuarkusService agent : plane.agents) {
                assertCounted(agent, Map.of(), kinds, Topics.TOPOLOGY);
            }
            for (QuarkusService service : List.of(gateway, failover, plane.registry(), plane.agents.get(0))) {
                assertThat(get(service.url(), "/q/health/ready").statusCode()).as("%s ready", service.name())
                        .isEqualTo(200);
            }

            // and a real failure after it is handled as usual: kill -9 of the leader, the checks follow
            pg.initialLeader().kill();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                    status("/route/junk/junk-2/leader") == 200 || status("/route/junk/junk-3/leader") == 200);
            assertThat(status("/route/junk/junk-1/leader")).isEqualTo(503);
        } finally {
            plane.stopFailoverInstances();
        }
    }

    @Test
    void aConsumerThatCannotReadMakesTheGatewayNotReadyUntilItReadsAgain() {
        await().atMost(Duration.ofSeconds(30)).until(() -> get(gateway.url(), "/q/health/ready").statusCode() == 200);
        List<KafkaAccess.Grant> healthRead = KafkaAccess.GRANTS.stream().filter(g -> g.principal()
                .equals(KafkaAccess.GATEWAY) && g.name().equals(Topics.NODE_HEALTH.name())).toList();
        assertThat(healthRead).hasSize(1);
        plane.kafka.revoke(healthRead); // a mistaken ACL change: the health view's polls fail from now on
        try {
            HttpResponse<String> down = await().atMost(Duration.ofSeconds(30)).until(() -> get(gateway.url(),
                    "/q/health/ready"), r -> r.statusCode() == 503);
            assertThat(down.body()).contains("STALLED", "regent-gateway-health");
        } finally {
            plane.kafka.grant(healthRead);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> get(gateway.url(), "/q/health/ready").statusCode() == 200);
    }

    /** The kinds of garbage, by name: none of them is a Regent event of the topic it is on. */
    private static Map<String, byte[]> garbage() {
        Map<String, byte[]> kinds = new LinkedHashMap<>();
        kinds.put("binary", new byte[] {0, (byte) 0xff, 0x13, 0x37, (byte) 0xc3, 0x28, 0, 0x7f});
        byte[] valid = new EventCodec(URI.create("/regent/monitor/agent-1")).encode(leaderDown("agent-1"));
        kinds.put("truncated JSON", java.util.Arrays.copyOf(valid, valid.length / 2));
        kinds.put("valid CloudEvent, invalid data", cloudEvent(EventType.NODE_OBSERVED.ceType(),
                "{\"node\":\"junk-1\",\"reachable\":\"perhaps\"}"));
        kinds.put("unknown type", cloudEvent("io.regent.nothing.v9", "{\"clusterId\":\"junk\"}"));
        kinds.put("900 KB string", ("\"" + "x".repeat(900 * 1024) + "\"").getBytes(StandardCharsets.UTF_8));
        return kinds;
    }

    private static byte[] cloudEvent(String type, String data) {
        return ("{\"specversion\":\"1.0\",\"id\":\"" + UUID.randomUUID() + "\",\"source\":\"/mallory\",\"type\":\""
                + type + "\",\"subject\":\"junk\",\"datacontenttype\":\"application/json\",\"data\":" + data + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static NodeObserved leaderDown(String observer) {
        String cluster = observer.startsWith("intruder") ? "forged" : "junk";
        return new NodeObserved(cluster, cluster + "-1", observer, "zone-x", Instant.now(), 3L, Engine.POSTGRESQL,
                false, new ProbeError(ProbeErrorKind.REFUSED, "Connection refused"), NodeRole.UNKNOWN, null, null,
                null, null, null, null, null, null, List.of(), null, null, null, null, null, null);
    }

    /** The principal allowed to write {@code topic} - the garbage comes from inside, not from a stranger. */
    private static String writerOf(TopicSpec topic) {
        return KafkaAccess.SERVICE_PRINCIPALS.stream().filter(p -> KafkaAccess.writableTopics(p)
                .contains(topic.name())).findFirst().orElseThrow();
    }

    private static void produce(String principal, ProducerRecord<String, byte[]> record) throws Exception {
        PRODUCERS.computeIfAbsent(principal, p -> {
            Map<String, Object> config = new HashMap<>(plane.kafka.clientConfig(p));
            config.put("acks", "all");
            config.put("max.request.size", 2 << 20);
            return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        }).send(record).get();
    }

    private static void assertCounted(QuarkusService service, Map<String, Double> before, int kinds,
            TopicSpec... topics) {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            Map<String, Double> now = rejected(service);
            for (TopicSpec topic : topics) {
                double counted = now.entrySet().stream().filter(e -> e.getKey().startsWith(topic.name() + "/"))
                        .mapToDouble(Map.Entry::getValue).sum()
                        - before.entrySet().stream().filter(e -> e.getKey().startsWith(topic.name() + "/"))
                        .mapToDouble(Map.Entry::getValue).sum();
                assertThat(counted).as("%s skipped and counted on %s: %s", service.name(), topic.name(), now)
                        .isGreaterThanOrEqualTo(kinds);
            }
        });
    }

    /** "topic/reason" → count, from the service's Prometheus scrape. */
    private static Map<String, Double> rejected(QuarkusService service) {
        String scrape = get(service.url(), "/q/metrics").body();
        Map<String, Double> counts = new HashMap<>();
        Matcher sample = SAMPLE.matcher(scrape);
        while (sample.find()) {
            Map<String, String> labels = new HashMap<>();
            for (String label : sample.group(1).split(",")) {
                String[] pair = label.split("=", 2);
                if (pair.length == 2) {
                    labels.put(pair[0].strip(), pair[1].replace("\"", ""));
                }
            }
            counts.merge(labels.get("topic") + "/" + labels.get("reason"), Double.parseDouble(sample.group(2)),
                    Double::sum);
        }
        return counts;
    }

    private static int status(String path) {
        return get(gateway.url(), path).statusCode();
    }

    private static HttpResponse<String> get(URI base, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
