package io.regent.monitor.topology;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.EventEnvelope;
import io.regent.events.EventDecodingException;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.events.kafka.RegentEventDeserializer;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Follows the compacted topology topic from its beginning: the newest snapshot per cluster is the
 * full state, and every later snapshot or tombstone updates what this agent probes within one
 * probe interval. No consumer group: every agent reads all clusters.
 */
@ApplicationScoped
public class TopologyWatcher {

    private static final Logger LOG = Logger.getLogger(TopologyWatcher.class);

    private final WatchedNodes nodes;
    private final Map<String, Object> kafkaConfig;
    private volatile boolean running;
    private KafkaConsumer<String, EventEnvelope> consumer;
    private Thread thread;

    public TopologyWatcher(WatchedNodes nodes, @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig) {
        this.nodes = nodes;
        this.kafkaConfig = kafkaConfig;
    }

    void onStart(@Observes StartupEvent event) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "regent-monitor-topology");
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumer = new KafkaConsumer<>(props, new StringDeserializer(), new RegentEventDeserializer());
        running = true;
        thread = new Thread(this::run, "regent-topology-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        try {
            List<TopicPartition> partitions = null;
            while (running && partitions == null) {
                try {
                    partitions = consumer.partitionsFor(Topics.TOPOLOGY.name(), Duration.ofSeconds(5)).stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                } catch (org.apache.kafka.common.errors.TimeoutException e) {
                    LOG.warnf("topology topic not reachable yet: %s", e.getMessage());
                }
            }
            if (partitions == null) {
                return;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (running) {
                for (ConsumerRecord<String, EventEnvelope> record : pollSafely()) {
                    if (record.value() == null) {
                        nodes.remove(record.key());
                    } else if (record.value().data() instanceof TopologyChanged snapshot) {
                        nodes.apply(snapshot);
                    }
                }
            }
        } catch (WakeupException e) {
            // shutting down
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private Iterable<ConsumerRecord<String, EventEnvelope>> pollSafely() {
        try {
            return consumer.poll(Duration.ofMillis(200));
        } catch (org.apache.kafka.common.errors.RecordDeserializationException | EventDecodingException e) {
            LOG.warnf("skipping an unreadable topology record: %s", e.getMessage());
            if (e instanceof org.apache.kafka.common.errors.RecordDeserializationException bad) {
                consumer.seek(bad.topicPartition(), bad.offset() + 1);
            }
            return List.of();
        }
    }
}
