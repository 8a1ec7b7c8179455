package io.regent.monitor.routing;

import io.regent.events.NodeObserved;
import io.regent.monitor.config.MonitorConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This agent's newest probe of each node of its own cluster (node mode), each with when it arrived on the agent's
 * monotonic clock: what the routing checks answer from. Nothing here comes from Kafka or another service.
 */
@ApplicationScoped
public class LocalFacts {

    private record Probed(NodeObserved observation, long receivedNanos) {
    }

    private final Optional<String> ownCluster;
    private final Map<String, Probed> byNode = new ConcurrentHashMap<>();

    public LocalFacts(MonitorConfig config) {
        this.ownCluster = config.node().clusterId();
    }

    /** Keeps {@code observation} when it is of a node of the agent's own cluster. */
    public void probed(NodeObserved observation) {
        if (ownCluster.isPresent() && ownCluster.get().equals(observation.clusterId())) {
            byNode.put(observation.node(), new Probed(observation, System.nanoTime()));
        }
    }

    /** The newest probe of {@code node} of the own cluster and its age; null when there is none. */
    public RoutingRules.Seen newest(String node) {
        if (node == null) {
            return null;
        }
        Probed probed = byNode.get(node);
        return probed == null ? null
                : new RoutingRules.Seen(probed.observation(), (System.nanoTime() - probed.receivedNanos()) / 1_000_000);
    }
}
