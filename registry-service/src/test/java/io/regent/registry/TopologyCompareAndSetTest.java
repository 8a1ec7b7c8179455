package io.regent.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.regent.events.EventEnvelope;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Invariant 1: every leader change increments the epoch exactly once, by compare-and-set. */
@QuarkusTest
class TopologyCompareAndSetTest {

    private static final int WRITERS = 8;
    private static final int ROUNDS = 100;

    @TestHTTPResource("/api/v1/clusters/")
    URI clusters;

    @Test
    void ofEightConcurrentWritersWithTheSameExpectedEpochExactlyOneWinsEachRound() throws Exception {
        String id = "cas-race";
        Api.createCluster(id);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        List<String> winners = new ArrayList<>();
        try {
            for (int round = 0; round < ROUNDS; round++) {
                long expected = round;
                List<Future<HttpResponse<String>>> results = new ArrayList<>();
                for (int writer = 0; writer < WRITERS; writer++) {
                    // every writer names a node other than the current leader (node 1 as registered, then the
                    // last round's winner): a leader change, so the epoch moves when it wins
                    String current = round == 0 ? id + "-1" : leaderOf(winners.get(winners.size() - 1));
                    List<String> others = java.util.stream.Stream.of(id + "-1", id + "-2", id + "-3")
                            .filter(n -> !n.equals(current)).toList();
                    String leader = others.get(writer % 2);
                    String body = "{\"expectedEpoch\":" + expected + ",\"leader\":\"" + leader
                            + "\",\"reason\":\"writer " + writer + " round " + round + "\"}";
                    Callable<HttpResponse<String>> put = () -> http.send(HttpRequest.newBuilder(
                                    clusters.resolve(id + "/topology"))
                            .header("Authorization", "Bearer " + Api.SERVICE)
                            .header("Content-Type", "application/json")
                            .PUT(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    results.add(pool.submit(put));
                }
                int won = 0;
                for (Future<HttpResponse<String>> result : results) {
                    HttpResponse<String> response = result.get();
                    if (response.statusCode() == 200) {
                        won++;
                        assertThat(response.body()).contains("\"epoch\":" + (expected + 1));
                        winners.add(response.body());
                    } else {
                        assertThat(response.statusCode()).as(response.body()).isEqualTo(409);
                        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                                type -> assertThat(type).startsWith("application/problem+json"));
                        assertThat(response.body()).contains("\"currentEpoch\":" + (expected + 1));
                    }
                }
                assertThat(won).as("winners of round %d", round).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }

        Api.as(Api.VIEWER).get("/api/v1/clusters/" + id + "/topology").then().statusCode(200)
                .body("epoch", equalTo(ROUNDS));
        // the compacted topic holds exactly one snapshot per epoch, in order (epoch 0 = registration)
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<Long> epochs = TopicReader.readAll(Topics.TOPOLOGY.name(), id).stream()
                    .map(ConsumerRecord::value).map(e -> e.data(TopologyChanged.class).epoch()).toList();
            List<Long> expected = new ArrayList<>();
            for (long epoch = 0; epoch <= ROUNDS; epoch++) {
                expected.add(epoch);
            }
            assertThat(epochs).containsExactlyElementsOf(expected);
        });
    }

    @Test
    void aStaleWriterGets409WithTheCurrentEpochAndChangesNothing() {
        String id = "cas-stale";
        Api.createCluster(id);
        Api.as(Api.SERVICE).body("{\"expectedEpoch\":0,\"leader\":\"cas-stale-2\",\"reason\":\"failover\"}")
                .put("/api/v1/clusters/" + id + "/topology").then().statusCode(200)
                .body("epoch", equalTo(1)).body("leader", equalTo("cas-stale-2"))
                .body("nodes.find { it.name == 'cas-stale-1' }.role", equalTo("NEEDS_REJOIN"))
                .body("nodes.find { it.name == 'cas-stale-3' }.upstream", equalTo("cas-stale-2"));

        Api.as(Api.SERVICE).body("{\"expectedEpoch\":0,\"leader\":\"cas-stale-3\"}")
                .put("/api/v1/clusters/" + id + "/topology").then().statusCode(409)
                .contentType("application/problem+json")
                .body("currentEpoch", equalTo(1)).body("currentLeader", equalTo("cas-stale-2"))
                .body("detail", org.hamcrest.Matchers.containsString("is at epoch 1, not 0"));

        Api.as(Api.VIEWER).get("/api/v1/clusters/" + id + "/topology").then().statusCode(200)
                .body("epoch", equalTo(1)).body("leader", equalTo("cas-stale-2"));
        List<ConsumerRecord<String, EventEnvelope>> events = await().atMost(Duration.ofSeconds(30))
                .until(() -> TopicReader.readAll(Topics.TOPOLOGY.name(), id), list -> list.size() >= 2);
        assertThat(events).extracting(r -> r.value().data(TopologyChanged.class).epoch()).containsExactly(0L, 1L);
    }

    private static String leaderOf(String topologyJson) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"leader\":\"([^\"]+)\"").matcher(topologyJson);
        assertThat(m.find()).as("leader in %s", topologyJson).isTrue();
        return m.group(1);
    }
}
