package io.regent.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.regent.events.EventEnvelope;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.registry.repository.OutboxRepository;
import io.regent.registry.service.ClusterService;
import io.regent.testkit.kafka.KafkaBroker;
import io.regent.testkit.quarkus.KafkaTestResource;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Every committed change is published exactly once, in order, even across a Kafka outage. */
@QuarkusTest
class OutboxTest {

    @Inject
    ClusterService clusters;

    @Inject
    OutboxRepository outbox;

    @Test
    void changesMadeWhileKafkaIsDownArriveOnceEachAndInOrderWhenItReturns() {
        String id = "outage";
        Api.createCluster(id);
        awaitTopologyEpochs(id, List.of(0L));

        KafkaBroker broker = KafkaTestResource.broker();
        broker.stop();
        try {
            // the registry keeps accepting changes: they wait in the outbox
            for (long epoch = 0; epoch < 5; epoch++) {
                String leader = id + "-" + (epoch % 2 == 0 ? 2 : 1);
                Api.as(Api.SERVICE).body("{\"expectedEpoch\":" + epoch + ",\"leader\":\"" + leader + "\"}")
                        .put("/api/v1/clusters/" + id + "/topology").then().statusCode(200);
            }
            String operationId = Api.as(Api.SERVICE).body("{\"kind\":\"FAILOVER\",\"fromNode\":\"outage-1\","
                    + "\"toNode\":\"outage-2\",\"reason\":\"drill\"}")
                    .post("/api/v1/clusters/" + id + "/operations").then().statusCode(201)
                    .extract().path("operationId");
            Api.as(Api.SERVICE).body("{\"name\":\"promoted\"}").post("/api/v1/operations/" + operationId + "/phases")
                    .then().statusCode(200);
            Api.as(Api.SERVICE).body("{\"status\":\"SUCCEEDED\",\"epochAfter\":5}")
                    .post("/api/v1/operations/" + operationId + "/finish").then().statusCode(200);
            assertThat(backlog()).isGreaterThanOrEqualTo(8);
        } finally {
            broker.restart();
        }

        awaitTopologyEpochs(id, List.of(0L, 1L, 2L, 3L, 4L, 5L));
        List<OperationUpdated> operations = await().atMost(Duration.ofSeconds(60)).until(
                () -> TopicReader.readAll(Topics.OPERATIONS.name(), id).stream()
                        .map(r -> r.value().data(OperationUpdated.class)).toList(), list -> list.size() >= 3);
        assertThat(operations).extracting(OperationUpdated::status)
                .containsExactly(OperationStatus.RUNNING, OperationStatus.RUNNING, OperationStatus.SUCCEEDED);
        assertThat(operations.get(1).phases()).extracting(p -> p.name()).containsExactly("promoted");
        await().atMost(Duration.ofSeconds(10)).until(() -> backlog() == 0);
        // nothing arrives twice: each CloudEvent id once
        List<ConsumerRecord<String, EventEnvelope>> all = TopicReader.readAll(Topics.TOPOLOGY.name(), id);
        assertThat(all.stream().map(r -> r.value().id()).distinct().count()).isEqualTo(all.size());
    }

    @Test
    void aRolledBackChangePublishesNothing() {
        String id = "rollback";
        Api.createCluster(id);
        awaitTopologyEpochs(id, List.of(0L));
        long before = outbox.count("eventKey", id);

        assertThatThrownBy(() -> QuarkusTransaction.requiringNew().run(() -> {
            clusters.setMaintenance(id, true, "forced rollback", "test");
            throw new IllegalStateException("forced rollback after the change and its outbox row");
        })).hasMessageContaining("forced rollback");

        assertThat(QuarkusTransaction.requiringNew().call(() -> outbox.count("eventKey", id))).isEqualTo(before);
        Api.as(Api.VIEWER).get("/api/v1/clusters/" + id).then().statusCode(200)
                .body("maintenance", org.hamcrest.Matchers.equalTo(false));
        // a later committed change is published, and the rolled-back one never is
        Api.as(Api.OPERATOR).body("{\"enabled\":true,\"reason\":\"real\"}")
                .put("/api/v1/clusters/" + id + "/maintenance").then().statusCode(200);
        List<TopologyChanged> events = await().atMost(Duration.ofSeconds(30)).until(
                () -> TopicReader.readAll(Topics.TOPOLOGY.name(), id).stream()
                        .map(r -> r.value().data(TopologyChanged.class)).toList(), list -> list.size() >= 2);
        assertThat(events).hasSize(2);
        assertThat(events.get(1).maintenance()).isTrue();
        assertThat(events.get(1).reason()).contains("real").doesNotContain("forced");
    }

    private long backlog() {
        return QuarkusTransaction.requiringNew().call(() -> outbox.backlog());
    }

    private static void awaitTopologyEpochs(String id, List<Long> epochs) {
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(
                TopicReader.readAll(Topics.TOPOLOGY.name(), id).stream()
                        .map(r -> r.value().data(TopologyChanged.class).epoch()).toList())
                .containsExactlyElementsOf(epochs));
    }
}
