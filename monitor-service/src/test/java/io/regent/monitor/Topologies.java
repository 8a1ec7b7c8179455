package io.regent.monitor;

import io.regent.events.Engine;
import io.regent.events.KafkaAccess;
import io.regent.events.NodeRole;
import io.regent.events.RegentEvent;
import io.regent.events.Replication;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.events.kafka.RegentEventSerializer;
import io.regent.testkit.kafka.KafkaBroker;
import io.regent.testkit.mariadb.MariaDbCluster;
import io.regent.testkit.postgres.PostgresCluster;
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
    public static void announce(KafkaBroker kafka, String clusterId, PostgresCluster cluster) throws Exception {
        announce(kafka, clusterId, Engine.POSTGRESQL, cluster.initialLeader().name(), cluster.nodes().stream()
                .map(n -> new Endpoint(n.name(), n.host(), n.port())).toList(), cluster.replication());
    }

    /** The same for a MariaDB cluster (asynchronous replication). */
    public static void announce(KafkaBroker kafka, String clusterId, MariaDbCluster cluster) throws Exception {
        announce(kafka, clusterId, Engine.MARIADB, cluster.initialLeader().name(), cluster.nodes().stream()
                .map(n -> new Endpoint(n.name(), n.host(), n.port())).toList(), Replication.ASYNC);
    }

    private record Endpoint(String name, String host, int port) {
    }

    private static void announce(KafkaBroker kafka, String clusterId, Engine engine, String leader,
            List<Endpoint> endpoints, Replication replication) throws Exception {
        List<TopologyNode> nodes = new ArrayList<>();
        for (Endpoint node : endpoints) {
            boolean leads = node.name().equals(leader);
            nodes.add(new TopologyNode(node.name(), node.host(), node.port(), "zone",
                    leads ? NodeRole.LEADER : NodeRole.FOLLOWER, 100, leads ? null : leader, List.of()));
        }
        TopologyChanged snapshot = new TopologyChanged(clusterId, 0, engine, leader, nodes, replication, false,
                Instant.now(), "test", null);
        try (KafkaProducer<String, RegentEvent> producer = new KafkaProducer<>(
                kafka.clientConfig(KafkaAccess.ADMIN), new StringSerializer(),
                new RegentEventSerializer(URI.create("/test")))) {
            producer.send(new ProducerRecord<>(Topics.TOPOLOGY.name(), clusterId, snapshot)).get(30, TimeUnit.SECONDS);
        }
    }
}
