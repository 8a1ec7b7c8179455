package io.regent.monitor.topology;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
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

    public TopologyWatcher(WatchedNodes nodes, @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig) {
        this.nodes = nodes;
        this.kafkaConfig = kafkaConfig;
    }

    void onStart(@Observes StartupEvent event) {
        feed = TopologyFeed.start(kafkaConfig, "regent-monitor-topology", nodes::apply, nodes::remove);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (feed != null) {
            feed.close();
        }
    }
}
