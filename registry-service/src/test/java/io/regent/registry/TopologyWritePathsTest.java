package io.regent.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import io.regent.events.EventCodec;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.events.kafka.TopologyFeed;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * A compare-and-set after this instance's own one takes a single statement built from memory; any
 * other change of the cluster in between sends it down the locking path. Either way the result -
 * response, stored roles, published event - is the one the locking path alone would give.
 */
@QuarkusTest
class TopologyWritePathsTest {

    @Test
    void consecutiveWritesTakeOneStatementAndStoreWhatTheyAnswer() {
        String id = "paths-seq";
        Api.createCluster(id);
        double single = count("single-statement");
        double locking = count("locking");

        cas(id, 0, id + "-2", null).then().statusCode(200).body("epoch", equalTo(1));
        // node 1 was replaced: NEEDS_REJOIN; node 3 is told FENCED explicitly
        TopologyChanged second = snapshot(cas(id, 1, id + "-3", "{\"" + id + "-2\":\"FOLLOWER\"}").then().statusCode(200)
                .extract().asString());
        TopologyChanged third = snapshot(cas(id, 2, id + "-2", "{\"" + id + "-1\":\"FENCED\"}").then().statusCode(200)
                .extract().asString());

        assertThat(count("locking") - locking).as("first write after registration reads under the lock")
                .isEqualTo(1);
        assertThat(count("single-statement") - single).isEqualTo(2);
        assertThat(second.epoch()).isEqualTo(2);
        assertThat(roles(second)).containsExactly(Map.entry(id + "-1", "NEEDS_REJOIN"),
                Map.entry(id + "-2", "FOLLOWER"), Map.entry(id + "-3", "LEADER"));
        assertThat(second.nodes()).filteredOn(n -> n.name().equals(id + "-2")).extracting(TopologyNode::upstream)
                .containsExactly(id + "-3");
        assertThat(second.reason()).isEqualTo("leader " + id + "-2 -> " + id + "-3");
        assertThat(roles(third)).containsExactly(Map.entry(id + "-1", "FENCED"), Map.entry(id + "-2", "LEADER"),
                Map.entry(id + "-3", "NEEDS_REJOIN"));
        // the rest of the snapshot is carried over unchanged
        assertThat(third.nodes()).filteredOn(n -> n.name().equals(id + "-3")).singleElement()
                .satisfies(n -> {
                    assertThat(n.priority()).isZero();
                    assertThat(n.zone()).isEqualTo("c");
                    assertThat(n.upstream()).isNull();
                });
        assertThat(third.replication().syncCount()).isEqualTo(1);

        // stored: the database's nodes, read by the node endpoint, not the in-memory view
        Api.as(Api.VIEWER).get("/api/v1/clusters/" + id + "/nodes").then().statusCode(200)
                .body("find { it.name == '" + id + "-1' }.role", equalTo("FENCED"))
                .body("find { it.name == '" + id + "-2' }.role", equalTo("LEADER"))
                .body("find { it.name == '" + id + "-3' }.role", equalTo("NEEDS_REJOIN"));
        Api.as(Api.VIEWER).get("/api/v1/clusters/" + id).then().statusCode(200).body("epoch", equalTo(3))
                .body("leader", equalTo(id + "-2"));
        // published: exactly the answers, once each, in order
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                TopicReader.readAll(Topics.TOPOLOGY.name(), id).stream().map(ConsumerRecord::value)
                        .map(e -> e.data(TopologyChanged.class)).toList())
                .extracting(TopologyChanged::epoch).containsExactly(0L, 1L, 2L, 3L));
        ConsumerRecord<String, io.regent.events.EventEnvelope> record = TopicReader.readAll(Topics.TOPOLOGY.name(), id)
                .get(3);
        assertThat(record.value().data(TopologyChanged.class)).isEqualTo(third);
        // marked with its writer, whose own topology view skips it
        assertThat(record.headers().lastHeader(TopologyFeed.ORIGIN_HEADER)).as("origin header").isNotNull();
    }

    @Test
    void aChangeOfAnotherKindInBetweenIsNotOverwrittenByAStaleSnapshot() {
        String id = "paths-node";
        Api.createCluster(id);
        cas(id, 0, id + "-2", null).then().statusCode(200);
        // a node added and another one re-prioritised: the epoch stays, the row's version moves
        Api.as(Api.ADMIN).body(Map.of("name", id + "-4", "host", "10.0.0.4", "port", 5432))
                .post("/api/v1/clusters/" + id + "/nodes").then().statusCode(201);
        Api.as(Api.ADMIN).body(Map.of("name", id + "-3", "host", "10.0.0.3", "port", 5432, "priority", 7))
                .put("/api/v1/clusters/" + id + "/nodes/" + id + "-3").then().statusCode(200);
        double locking = count("locking");

        // a leader the remembered snapshot knows too: only the row's version tells that memory is stale
        TopologyChanged after = snapshot(cas(id, 1, id + "-1", null).then().statusCode(200).extract().asString());

        assertThat(count("locking") - locking).isEqualTo(1);
        assertThat(roles(after)).containsEntry(id + "-1", "LEADER").containsEntry(id + "-2", "NEEDS_REJOIN")
                .containsEntry(id + "-4", "FOLLOWER").hasSize(4);
        assertThat(after.nodes()).filteredOn(n -> n.name().equals(id + "-3")).extracting(TopologyNode::priority)
                .containsExactly(7);
        // and the one after it is a single statement again, built on the state it just read
        double single = count("single-statement");
        cas(id, 2, id + "-2", null).then().statusCode(200).body("nodes.size()", equalTo(4));
        assertThat(count("single-statement") - single).isEqualTo(1);
    }

    @Test
    void refusalsAfterAKnownWriteAreTheLockingPathsOwn() {
        String id = "paths-refuse";
        Api.createCluster(id);
        cas(id, 0, id + "-2", null).then().statusCode(200);

        cas(id, 0, id + "-3", null).then().statusCode(409).contentType("application/problem+json")
                .body("currentEpoch", equalTo(1)).body("currentLeader", equalTo(id + "-2"));
        cas(id, 1, "nobody", null).then().statusCode(422).contentType("application/problem+json")
                .body("errors[0].field", equalTo("leader"))
                .body("detail", containsString("'nobody' is not a node of cluster '" + id + "'"));
        cas(id, 1, id + "-2", "{\"" + id + "-3\":\"LEADER\"}").then().statusCode(422)
                .body("errors[0].field", equalTo("roles." + id + "-3"));

        Api.as(Api.VIEWER).get("/api/v1/clusters/" + id + "/topology").then().statusCode(200)
                .body("epoch", equalTo(1)).body("leader", equalTo(id + "-2"));
    }

    @Test
    void aClusterDeletedAndRegisteredAgainStartsAfresh() {
        String id = "paths-again";
        Api.createCluster(id);
        cas(id, 0, id + "-2", null).then().statusCode(200);
        Api.as(Api.OPERATOR).body(Map.of("enabled", true)).put("/api/v1/clusters/" + id + "/maintenance").then()
                .statusCode(200);
        Api.as(Api.ADMIN).delete("/api/v1/clusters/" + id).then().statusCode(204);
        Api.as(Api.ADMIN).body(Map.of("id", id, "displayName", "again", "engine", "POSTGRESQL", "nodes", List.of(
                Map.of("name", "x", "host", "10.0.1.1", "port", 5432, "role", "LEADER"),
                Map.of("name", "y", "host", "10.0.1.2", "port", 5432)))).post("/api/v1/clusters").then()
                .statusCode(201);

        cas(id, 0, "y", null).then().statusCode(200).body("epoch", equalTo(1)).body("nodes.size()", equalTo(2))
                .body("nodes.find { it.name == 'x' }.role", equalTo("NEEDS_REJOIN"))
                .body("maintenance", equalTo(false));
        cas(id, 1, "x", null).then().statusCode(200).body("epoch", equalTo(2))
                .body("nodes.find { it.name == 'y' }.role", equalTo("NEEDS_REJOIN"))
                .body("nodes.find { it.name == 'y' }.upstream", nullValue());
    }

    private static io.restassured.response.Response cas(String id, long expected, String leader, String roles) {
        return Api.as(Api.SERVICE).body("{\"expectedEpoch\":" + expected + ",\"leader\":\"" + leader + "\""
                + (roles == null ? "" : ",\"roles\":" + roles) + "}").put("/api/v1/clusters/" + id + "/topology");
    }

    private static TopologyChanged snapshot(String json) {
        try {
            return EventCodec.objectMapper().readValue(json, TopologyChanged.class);
        } catch (java.io.IOException e) {
            throw new AssertionError("not a topology: " + json, e);
        }
    }

    private static Map<String, String> roles(TopologyChanged snapshot) {
        Map<String, String> roles = new java.util.TreeMap<>();
        snapshot.nodes().forEach(n -> roles.put(n.name(), n.role().name()));
        return roles;
    }

    private static double count(String path) {
        String metrics = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher matcher = Pattern.compile("regent_topology_compare_and_set_total\\{path=\"" + path + "\"} (\\S+)")
                .matcher(metrics);
        return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
    }
}
