package io.regent.gateway.topology;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.TopologyChanged;
import io.regent.events.kafka.ConsumerProgress;
import io.regent.events.kafka.TopologyFeed;
import io.regent.gateway.config.GatewayConfig;
import io.regent.gateway.feed.LiveFeed;
import io.regent.gateway.health.NodeHealthView;
import io.regent.gateway.health.RejectedRecords;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every cluster's current topology, kept from the compacted topology topic: reads never call the
 * registry. An older snapshot (lower epoch, or the same epoch changed earlier) never replaces a newer one.
 */
@ApplicationScoped
public class TopologyView {

    private final Map<String, Object> kafkaConfig;
    private final GatewayConfig config;
    private final Map<String, TopologyChanged> clusters = new ConcurrentHashMap<>();
    private TopologyFeed feed;

    private final LiveFeed feedOut;
    private final NodeHealthView health;
    private final RejectedRecords rejected;

    private final MeterRegistry meters;

    public TopologyView(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, GatewayConfig config,
            LiveFeed feedOut, NodeHealthView health, RejectedRecords rejected, MeterRegistry meters) {
        this.meters = meters;
        this.rejected = rejected;
        this.kafkaConfig = kafkaConfig;
        this.config = config;
        this.feedOut = feedOut;
        this.health = health;
    }

    void onStart(@Observes StartupEvent event) {
        feed = TopologyFeed.start(kafkaConfig, "regent-gateway-topology-" + config.instanceId(), null, this::offer,
                this::forget, rejected::count);
        // how far behind the topics the gateway's views are (records; NaN until their first fetch)
        Gauge.builder("regent_kafka_consumer_lag_records", feed.progress(), ConsumerProgress::lagRecords)
                .tag("consumer", "topology").strongReference(true).register(meters);
        Gauge.builder("regent_kafka_consumer_lag_records", health.progress(), ConsumerProgress::lagRecords)
                .tag("consumer", "health-and-operations").strongReference(true).register(meters);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (feed != null) {
            feed.close();
        }
    }

    void offer(TopologyChanged snapshot) {
        TopologyChanged kept = clusters.merge(snapshot.clusterId(), snapshot, (current, next) ->
                next.supersedes(current) ? next : current);
        if (kept == snapshot) {
            feedOut.publish("topology", snapshot.clusterId(), snapshot);
        }
    }

    void forget(String clusterId) {
        clusters.remove(clusterId);
        health.forget(clusterId);
        feedOut.forget(clusterId);
        feedOut.publish("cluster-deleted", clusterId, Map.of("clusterId", clusterId));
    }

    /** When the topology feed last completed a poll (readiness); null before start. */
    public ConsumerProgress progress() {
        return feed == null ? null : feed.progress();
    }

    public Optional<TopologyChanged> topology(String clusterId) {
        return Optional.ofNullable(clusters.get(clusterId));
    }

    public List<TopologyChanged> all() {
        return clusters.values().stream().sorted(Comparator.comparing(TopologyChanged::clusterId)).toList();
    }
}
