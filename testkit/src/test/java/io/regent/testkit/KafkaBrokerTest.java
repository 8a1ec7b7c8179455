package io.regent.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.events.Engine;
import io.regent.events.EventEnvelope;
import io.regent.events.KafkaAccess;
import io.regent.events.NodeRole;
import io.regent.events.RegentEvent;
import io.regent.events.Replication;
import io.regent.events.TopicSpec;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.events.kafka.RegentEventSerializer;
import io.regent.testkit.kafka.KafkaBroker;
import io.regent.testkit.kafka.TopicReader;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KafkaBrokerTest {

    private static KafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = KafkaBroker.start();
        broker.createRegentTopics();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void regentTopicsExistWithTheContractsPartitionsAndCleanupPolicy() throws Exception {
        try (Admin admin = admin()) {
            Map<String, TopicDescription> topics = admin.describeTopics(
                    Topics.ALL.stream().map(TopicSpec::name).toList()).allTopicNames().get(30, TimeUnit.SECONDS);
            for (TopicSpec spec : Topics.ALL) {
                assertThat(topics.get(spec.name()).partitions()).as(spec.name()).hasSize(spec.partitions());
                Config config = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC,
                        spec.name()))).all().get(30, TimeUnit.SECONDS).values().iterator().next();
                assertThat(config.get("cleanup.policy").value()).as(spec.name()).isEqualTo(spec.cleanupPolicy());
            }
        }
    }

    @Test
    void aFreshConsumerOfTheCompactedTopologyTopicReadsTheLatestSnapshotPerCluster() throws Exception {
        try (KafkaProducer<String, RegentEvent> producer = producer()) {
            for (long epoch = 1; epoch <= 3; epoch++) {
                send(producer, Topics.TOPOLOGY.name(), snapshot("orders", epoch));
            }
            send(producer, Topics.TOPOLOGY.name(), snapshot("billing", 1));
            send(producer, Topics.TOPOLOGY.name(), snapshot("billing", 2));
        }

        Map<String, TopologyChanged> latest = readLatestPerKey(Topics.TOPOLOGY.name());

        assertThat(latest).containsOnlyKeys("orders", "billing");
        assertThat(latest.get("orders").epoch()).isEqualTo(3);
        assertThat(latest.get("orders").leader()).isEqualTo("orders-2");
        assertThat(latest.get("orders").leaderNode().orElseThrow().port()).isEqualTo(5433);
        assertThat(latest.get("billing").epoch()).isEqualTo(2);
    }

    @Test
    void theBrokerReallyCompactsSupersededSnapshots() throws Exception {
        // the topology topic's own settings, with segments small enough to be cleaned during a test
        Map<String, String> configs = new HashMap<>(Topics.TOPOLOGY.configs());
        configs.put("segment.ms", "100");
        configs.put("min.cleanable.dirty.ratio", "0.01");
        TopicSpec small = new TopicSpec("compaction-proof", 1, "compact", configs);
        broker.createTopics(List.of(small));
        try (KafkaProducer<String, RegentEvent> producer = producer()) {
            for (long epoch = 1; epoch <= 20; epoch++) {
                send(producer, small.name(), snapshot("orders", epoch));
            }
            Thread.sleep(300);
            send(producer, small.name(), snapshot("rolls-the-segment", 1));
        }

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            List<ConsumerRecord<String, EventEnvelope>> records = readAll(small.name());
            List<Long> ordersEpochs = records.stream().filter(r -> r.key().equals("orders"))
                    .map(r -> r.value().data(TopologyChanged.class).epoch()).toList();
            assertThat(ordersEpochs).containsExactly(20L);
        });
    }

    @Test
    void theBrokerCanBeStoppedKilledAndRestartedOnTheSamePortAndData() throws Exception {
        try (KafkaProducer<String, RegentEvent> producer = producer()) {
            send(producer, Topics.TOPOLOGY.name(), snapshot("restart-proof", 41));
        }
        String bootstrap = broker.bootstrapServers();

        broker.stop();
        assertThat(broker.isRunning()).isFalse();
        broker.restart();
        assertThat(broker.bootstrapServers()).isEqualTo(bootstrap);
        assertThat(readLatestPerKey(Topics.TOPOLOGY.name()).get("restart-proof").epoch()).isEqualTo(41);

        broker.kill();
        assertThat(broker.isRunning()).isFalse();
        broker.restart();
        try (KafkaProducer<String, RegentEvent> producer = producer()) {
            send(producer, Topics.TOPOLOGY.name(), snapshot("restart-proof", 42));
        }
        assertThat(readLatestPerKey(Topics.TOPOLOGY.name()).get("restart-proof").epoch()).isEqualTo(42);
    }

    private static TopologyChanged snapshot(String cluster, long epoch) {
        String leader = cluster + "-" + (epoch % 2 == 1 ? 2 : 1);
        return new TopologyChanged(cluster, epoch, Engine.POSTGRESQL, leader,
                List.of(new TopologyNode(cluster + "-1", "127.0.0.1", 5432, "a",
                                leader.endsWith("-1") ? NodeRole.LEADER : NodeRole.FOLLOWER, 100, null, List.of()),
                        new TopologyNode(cluster + "-2", "127.0.0.1", 5433, "b",
                                leader.endsWith("-2") ? NodeRole.LEADER : NodeRole.FOLLOWER, 100, null, List.of())),
                Replication.ASYNC, false, Instant.now(), "epoch " + epoch, null);
    }

    private static void send(KafkaProducer<String, RegentEvent> producer, String topic, RegentEvent event)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, event.clusterId(), event)).get(30, TimeUnit.SECONDS);
    }

    private static Map<String, TopologyChanged> readLatestPerKey(String topic) {
        Map<String, TopologyChanged> latest = new HashMap<>();
        for (ConsumerRecord<String, EventEnvelope> record : readAll(topic)) {
            if (record.value() == null) {
                latest.remove(record.key()); // tombstone: the cluster was deleted
            } else {
                latest.put(record.key(), record.value().data(TopologyChanged.class));
            }
        }
        return latest;
    }

    private static List<ConsumerRecord<String, EventEnvelope>> readAll(String topic) {
        return TopicReader.readAll(broker, topic);
    }

    private static KafkaProducer<String, RegentEvent> producer() {
        Properties props = new Properties();
        props.putAll(broker.clientConfig(KafkaAccess.ADMIN));
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(props, new StringSerializer(),
                new RegentEventSerializer(URI.create("/regent/testkit/kafka-broker-test")));
    }

    private static Admin admin() {
        return Admin.create(broker.clientConfig(KafkaAccess.ADMIN));
    }
}
