package io.regent.monitor;

import io.regent.events.Engine;
import io.regent.events.NodeRole;
import io.regent.events.RegentEvent;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.events.kafka.RegentEventSerializer;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/** Announces a test cluster on the topology topic, as the registry's outbox would. */
public final class Topologies {

    private Topologies() {
    }

    /** Publishes the cluster's topology at epoch 0, its initial leader leading, under {@code clusterId}. */
    public static void announce(String bootstrapServers, String clusterId, PostgresCluster cluster) throws Exception {
        String leader = cluster.initialLeader().name();
        List<TopologyNode> nodes = new ArrayList<>();
        for (PostgresNode node : cluster.nodes()) {
            boolean leads = node.name().equals(leader);
            nodes.add(new TopologyNode(node.name(), node.host(), node.port(), "zone",
                    leads ? NodeRole.LEADER : NodeRole.FOLLOWER, 100, leads ? null : leader, List.of()));
        }
        TopologyChanged snapshot = new TopologyChanged(clusterId, 0, Engine.POSTGRESQL, leader, nodes,
                cluster.replication(), false, Instant.now(), "test", null);
        try (KafkaProducer<String, RegentEvent> producer = new KafkaProducer<>(
                Map.of("bootstrap.servers", bootstrapServers), new StringSerializer(),
                new RegentEventSerializer(URI.create("/test")))) {
            producer.send(new ProducerRecord<>(Topics.TOPOLOGY.name(), clusterId, snapshot)).get(30, TimeUnit.SECONDS);
        }
    }
}
