package io.regent.registry.service;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.TopologyChanged;
import io.regent.events.kafka.ConsumerProgress;
import io.regent.events.kafka.TopologyFeed;
import io.regent.registry.config.RegistryConfig;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * The current topology of every cluster in memory, so that reads - the hot path: agents, the
 * gateway, routing checks - cost no database round trip. Kept current by this instance's own
 * commits (applied right after commit, before the response is sent: a writer reads its write) and
 * by the compacted topology topic (other instances' commits, within the outbox lag). A newer
 * snapshot (epoch, then time) always wins; a miss reads the database.
 */
@ApplicationScoped
public class TopologyView {

    private final Map<String, TopologyChanged> snapshots = new ConcurrentHashMap<>();
    /** This process, as the origin of the events it writes: it applies them before they are published. */
    private final String origin = UUID.randomUUID().toString();
    private final RegistryConfig config;
    private final Map<String, Object> kafkaConfig;
    private TopologyFeed feed;

    private final MeterRegistry meters;

    public TopologyView(RegistryConfig config, @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
            MeterRegistry meters) {
        this.config = config;
        this.kafkaConfig = kafkaConfig;
        this.meters = meters;
    }

    /** When the feed last completed a poll (readiness); null when it does not follow the topic. */
    public ConsumerProgress progress() {
        return feed == null ? null : feed.progress();
    }

    void onStart(@Observes StartupEvent event) {
        if (config.topologyView().followTopic()) {
            Map<String, Object> consumer = new HashMap<>(kafkaConfig);
            consumer.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 64 * 1024);
            consumer.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) config.topologyView().fetchWait().toMillis());
            // skipped records: regent_kafka_records_rejected_total{topic, reason}
            feed = TopologyFeed.start(consumer, "regent-registry-topology-view", origin, this::offer, this::forget,
                    (topic, reason) -> meters.counter("regent_kafka_records_rejected_total", "topic", topic,
                            "reason", reason).increment());
            // how far behind the topic this replica's view is (records; NaN until its first fetch)
            Gauge.builder("regent_kafka_consumer_lag_records", feed.progress(), ConsumerProgress::lagRecords)
                    .tag("consumer", "topology").strongReference(true).register(meters);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (feed != null) {
            feed.close();
        }
    }

    /** Marks the outbox rows this process writes, so that its feed skips them. */
    public String origin() {
        return origin;
    }

    public Optional<TopologyChanged> get(String clusterId) {
        return Optional.ofNullable(snapshots.get(clusterId));
    }

    /** Keeps {@code snapshot} unless a newer one of the cluster is known. */
    public void offer(TopologyChanged snapshot) {
        snapshots.merge(snapshot.clusterId(), snapshot, (current, next) -> next.supersedes(current) ? next : current);
    }

    public void forget(String clusterId) {
        snapshots.remove(clusterId);
    }
}
