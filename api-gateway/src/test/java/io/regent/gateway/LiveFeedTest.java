package io.regent.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.regent.events.Engine;
import io.regent.events.NodeRole;
import io.regent.events.OperationKind;
import io.regent.events.OperationPhase;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import io.regent.events.RegentEvent;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.events.kafka.RegentEventSerializer;
import io.regent.testkit.quarkus.KafkaTestResource;
import io.regent.testkit.quarkus.KeycloakTestResource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/v1/events}: a subscriber first gets the current topology, then each change and
 * operation update in order; one that reconnects with Last-Event-ID gets exactly what it missed.
 * (Kafka and Keycloak come from GatewayApiTest's test resources, which apply to every test here.)
 */
@QuarkusTest
class LiveFeedTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TestHTTPResource("/api/v1/events")
    URI events;

    record Event(String id, String name, JsonNode data) {
    }

    @Test
    void aSubscriberSeesTheTopologyThenChangesInOrderAndResumesWithoutAGap() throws Exception {
        String token = KeycloakTestResource.keycloak().userToken("viewer", KeycloakTestResource.PASSWORD);
        publish(topology("feed", 1, "feed-1"));

        BlockingQueue<Event> first = new LinkedBlockingQueue<>();
        Subscription subscription = subscribe(token, "feed", null, first);
        Event snapshot = next(first, e -> e.name().equals("topology") && e.data().get("epoch").asLong() == 1);
        assertThat(snapshot.data().get("leader").asText()).isEqualTo("feed-1");

        UUID operation = UUID.randomUUID();
        // the gateway reads operations from the topic's end: publish until its consumer has joined
        Event phases = null;
        for (int attempt = 0; attempt < 15 && phases == null; attempt++) {
            publish(operation(operation, "feed", List.of("decided", "fenced")));
            phases = first.poll(2, TimeUnit.SECONDS);
        }
        assertThat(phases).as("an operation event").isNotNull();
        assertThat(phases.name()).isEqualTo("operation");
        publish(topology("feed", 2, "feed-2"));
        publish(topology("other", 7, "other-1")); // another cluster: filtered out
        assertThat(phases.data().get("operationId").asText()).isEqualTo(operation.toString());
        assertThat(phases.data().get("phases")).hasSize(2);
        Event changed = next(first, e -> e.name().equals("topology"));
        assertThat(changed.data().get("epoch").asLong()).isEqualTo(2);
        subscription.close();
        String resumeFrom = Long.toString(Math.max(Long.parseLong(changed.id()), Long.parseLong(phases.id())));

        // missed while away: the operation's end and epoch 3
        publish(operation(operation, "feed", List.of("decided", "fenced", "promoted")));
        publish(topology("feed", 3, "feed-2"));
        BlockingQueue<Event> resumed = new LinkedBlockingQueue<>();
        try (Subscription again = subscribe(token, "feed", resumeFrom, resumed)) {
            // the two topics are read by two consumers: the order between them is not defined
            Event a = next(resumed, e -> true);
            Event b = next(resumed, e -> true);
            assertThat(List.of(a, b)).extracting(Event::name).containsExactlyInAnyOrder("operation", "topology");
            Event missedOperation = a.name().equals("operation") ? a : b;
            Event missedTopology = a.name().equals("topology") ? a : b;
            assertThat(missedOperation.data().get("phases")).hasSize(3);
            assertThat(missedTopology.data().get("epoch").asLong()).isEqualTo(3);
            assertThat(List.of(a, b)).allMatch(e -> Long.parseLong(e.id()) > Long.parseLong(resumeFrom));
            assertThat(resumed.poll(1, TimeUnit.SECONDS)).as("nothing else, no replay of older events").isNull();
        }
    }

    @Test
    void theFeedNeedsAViewerAndANumericLastEventId() throws Exception {
        assertThat(HTTP.send(HttpRequest.newBuilder(events).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode()).isEqualTo(401);
        String nobody = KeycloakTestResource.keycloak().userToken("nobody", KeycloakTestResource.PASSWORD);
        assertThat(HTTP.send(HttpRequest.newBuilder(events).header("Authorization", "Bearer " + nobody).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(403);
        String viewer = KeycloakTestResource.keycloak().userToken("viewer", KeycloakTestResource.PASSWORD);
        HttpResponse<String> bad = HTTP.send(HttpRequest.newBuilder(events).header("Authorization", "Bearer "
                + viewer).header("Last-Event-ID", "yesterday").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("Last-Event-ID must be the id of an event");
    }

    private interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    private Subscription subscribe(String token, String cluster, String lastEventId, BlockingQueue<Event> into)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(events + "?cluster=" + cluster))
                .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream");
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<Stream<String>> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        Stream<String> lines = response.body();
        Thread reader = new Thread(() -> {
            String id = null;
            String name = null;
            StringBuilder data = new StringBuilder();
            try {
                for (String line : (Iterable<String>) lines::iterator) {
                    if (line.isEmpty()) {
                        if (data.length() > 0) {
                            into.add(new Event(id, name, JSON.readTree(data.toString())));
                        }
                        id = null;
                        name = null;
                        data.setLength(0);
                    } else if (line.startsWith("id:")) {
                        id = line.substring(3).strip();
                    } else if (line.startsWith("event:")) {
                        name = line.substring(6).strip();
                    } else if (line.startsWith("data:")) {
                        data.append(line.substring(5).strip());
                    }
                }
            } catch (Exception e) {
                // closed by the test
            }
        }, "sse-reader");
        reader.setDaemon(true);
        reader.start();
        return lines::close;
    }

    private static Event next(BlockingQueue<Event> events, java.util.function.Predicate<Event> wanted)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            Event event = events.poll(500, TimeUnit.MILLISECONDS);
            if (event != null && wanted.test(event)) {
                return event;
            }
        }
        throw new AssertionError("no such event within 15 s");
    }

    private static TopologyChanged topology(String cluster, long epoch, String leader) {
        List<TopologyNode> nodes = List.of(1, 2).stream().map(i -> new TopologyNode(cluster + "-" + i, "127.0.0.1",
                5500 + i, "z", (cluster + "-" + i).equals(leader) ? NodeRole.LEADER : NodeRole.FOLLOWER, 100, null,
                List.of())).toList();
        return new TopologyChanged(cluster, epoch, Engine.POSTGRESQL, leader, nodes, null, false, Instant.now(),
                "test", null);
    }

    private static OperationUpdated operation(UUID id, String cluster, List<String> phases) {
        Instant now = Instant.now();
        return new OperationUpdated(id, cluster, OperationKind.SWITCHOVER, OperationStatus.RUNNING, "feed-1", "feed-2",
                1L, null, "operator", "test", phases.stream().map(p -> new OperationPhase(p, now, p)).toList(), now,
                now, null, null);
    }

    private static void publish(RegentEvent event) {
        String topic = event instanceof TopologyChanged ? Topics.TOPOLOGY.name() : Topics.OPERATIONS.name();
        try (KafkaProducer<String, RegentEvent> producer = new KafkaProducer<>(producerConfig(), new StringSerializer(),
                new RegentEventSerializer(URI.create("/regent/test")))) {
            producer.send(new ProducerRecord<>(topic, event.clusterId(), event)).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot publish " + event, e);
        }
    }

    /** A test's own producer: the admin principal (the gateway's may not write topology or node health). */
    static Map<String, Object> producerConfig() {
        Map<String, Object> config = new java.util.HashMap<>(KafkaTestResource.broker().clientConfig(
                io.regent.events.KafkaAccess.ADMIN));
        config.put("acks", "all");
        return config;
    }
}
