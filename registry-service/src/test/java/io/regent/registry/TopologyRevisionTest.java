package io.regent.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.regent.events.EventCodec;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * The leader epoch means "which leader" and nothing else: role-only changes (a rejoin, maintenance,
 * node edits) move the topology's revision, never the epoch - so a rejoin running beside a failover
 * cannot make the failover lose its compare-and-set, and an operator's expectedEpoch survives it.
 */
@QuarkusTest
class TopologyRevisionTest {

    @Test
    void roleOnlyChangesKeepTheEpochAndEverySnapshotTakesTheNextRevision() {
        String id = "rev-roles";
        Api.createCluster(id);
        TopologyChanged registered = topology(id, false);
        assertThat(registered.revision()).as("registration is the first revision").isEqualTo(1);

        TopologyChanged failedOver = snapshot(cas(id, 0, id + "-2", null));
        assertThat(failedOver.epoch()).isEqualTo(1);
        assertThat(failedOver.revision()).isEqualTo(2);
        // the replaced leader rejoins: a role-only change at the same epoch, on the single-statement path
        TopologyChanged rejoined = snapshot(cas(id, 1, id + "-2", "{\"" + id + "-1\":\"FOLLOWER\"}"));
        assertThat(rejoined.epoch()).as("a rejoin is not a leader change").isEqualTo(1);
        assertThat(rejoined.revision()).isEqualTo(3);
        assertThat(rejoined.reason()).isEqualTo("roles changed: {" + id + "-1=FOLLOWER}");
        // an operator's request made at epoch 1 before the rejoin is still valid after it
        TopologyChanged switched = snapshot(cas(id, 1, id + "-1", null));
        assertThat(switched.epoch()).isEqualTo(2);
        assertThat(switched.revision()).isEqualTo(4);

        Api.as(Api.OPERATOR).body(Map.of("enabled", true)).put("/api/v1/clusters/" + id + "/maintenance").then()
                .statusCode(200).body("epoch", equalTo(2));
        Api.as(Api.ADMIN).body(Map.of("name", id + "-4", "host", "10.0.0.4", "port", 5432))
                .post("/api/v1/clusters/" + id + "/nodes").then().statusCode(201);
        TopologyChanged consistent = topology(id, true);
        assertThat(consistent.epoch()).isEqualTo(2);
        assertThat(consistent.revision()).as("maintenance and a new node: two more revisions").isEqualTo(6);
        assertThat(consistent.maintenance()).isTrue();
        assertThat(topology(id, false).revision()).as("memory agrees once the writer applied it").isEqualTo(6);

        // published in revision order, epochs moving only with the leader
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<TopologyChanged> events = TopicReader.readAll(Topics.TOPOLOGY.name(), id).stream()
                    .map(ConsumerRecord::value).map(e -> e.data(TopologyChanged.class)).toList();
            assertThat(events).extracting(TopologyChanged::revision).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
            assertThat(events).extracting(TopologyChanged::epoch).containsExactly(0L, 1L, 1L, 2L, 2L, 2L);
        });
    }

    @Test
    void aRoleOnlyChangeWithAStaleEpochIsRefused() {
        String id = "rev-stale";
        Api.createCluster(id);
        cas(id, 0, id + "-2", null).then().statusCode(200);
        // a rejoin decided toward the old leader's epoch: the leader it would follow is gone
        cas(id, 0, id + "-1", "{\"" + id + "-3\":\"FOLLOWER\"}").then().statusCode(409)
                .body("code", equalTo("epoch-mismatch")).body("currentEpoch", equalTo(1));
        assertThat(topology(id, true).revision()).isEqualTo(2);
    }

    @Test
    void theOrderingRuleKeepsTheNewestRevisionWhateverTheClocksSay() {
        TopologyChanged newer = new TopologyChanged("c", 3, null, null, null, null, false,
                java.time.Instant.parse("2026-01-01T00:00:00Z"), "r", null, 9);
        TopologyChanged olderButLaterClock = new TopologyChanged("c", 3, null, null, null, null, false,
                java.time.Instant.parse("2026-01-01T00:00:05Z"), "r", null, 8);
        assertThat(olderButLaterClock.supersedes(newer)).as("a registry replica's clock ahead does not win").isFalse();
        assertThat(newer.supersedes(olderButLaterClock)).isTrue();
        assertThat(newer.supersedes(newer)).as("the same snapshot again is harmless").isTrue();
        TopologyChanged legacy = new TopologyChanged("c", 2, null, null, null, null, false,
                java.time.Instant.parse("2026-01-02T00:00:00Z"), "r", null);
        assertThat(legacy.supersedes(newer)).as("without a revision, the epoch decides").isFalse();
    }

    private static io.restassured.response.Response cas(String id, long expected, String leader, String roles) {
        return Api.as(Api.SERVICE).body("{\"expectedEpoch\":" + expected + ",\"leader\":\"" + leader + "\""
                + (roles == null ? "" : ",\"roles\":" + roles) + "}").put("/api/v1/clusters/" + id + "/topology");
    }

    private static TopologyChanged snapshot(io.restassured.response.Response response) {
        String json = response.then().statusCode(200).extract().asString();
        try {
            return EventCodec.objectMapper().readValue(json, TopologyChanged.class);
        } catch (java.io.IOException e) {
            throw new AssertionError("not a topology: " + json, e);
        }
    }

    private static TopologyChanged topology(String id, boolean consistent) {
        return snapshot(Api.as(Api.VIEWER).get("/api/v1/clusters/" + id + "/topology?consistent=" + consistent));
    }
}
