package io.regent.monitor.topology;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.kafka.ConsumerProgress;
import io.regent.events.kafka.TopologyFeed;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;

/**
 * Follows the compacted topology topic from its beginning: the newest snapshot per cluster is the
 * full state, and every later snapshot or tombstone updates what this agent probes within one
 * probe interval. No consumer group: every agent reads all clusters.
 */
@ApplicationScoped
public class TopologyWatcher {

    private final WatchedNodes nodes;
    private final Map<String, Object> kafkaConfig;
    private TopologyFeed feed;

    private final MeterRegistry meters;

    public TopologyWatcher(WatchedNodes nodes, @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
            MeterRegistry meters) {
        this.nodes = nodes;
        this.kafkaConfig = kafkaConfig;
        this.meters = meters;
    }

    void onStart(@Observes StartupEvent event) {
        // skipped records: regent_kafka_records_rejected_total{topic, reason}
        feed = TopologyFeed.start(kafkaConfig, "regent-monitor-topology", null, nodes::apply, nodes::remove,
                (topic, reason) -> meters.counter("regent_kafka_records_rejected_total", "topic", topic,
                        "reason", reason).increment());
        // how far behind the topic the agent's view is (records; NaN until its first fetch)
        Gauge.builder("regent_kafka_consumer_lag_records", feed.progress(), ConsumerProgress::lagRecords)
                .tag("consumer", "topology").strongReference(true).register(meters);
    }

    /** When the feed last completed a poll (readiness); null before start. */
    public ConsumerProgress progress() {
        return feed == null ? null : feed.progress();
    }

    void onStop(@Observes ShutdownEvent event) {
        if (feed != null) {
            feed.close();
        }
    }
}
