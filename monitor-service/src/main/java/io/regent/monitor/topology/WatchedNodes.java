package io.regent.monitor.topology;

import io.regent.engines.NodeTarget;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.monitor.config.MonitorConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/** The nodes this agent probes, kept current from topology snapshots. */
@ApplicationScoped
public class WatchedNodes {

    private static final Logger LOG = Logger.getLogger(WatchedNodes.class);

    private final Map<String, List<NodeTarget>> byCluster = new ConcurrentHashMap<>();
    /** The epoch and time of the snapshot each cluster's nodes come from: an older one is ignored. */
    private final Map<String, TopologyChanged> applied = new ConcurrentHashMap<>();
    private final MonitorConfig config;

    public WatchedNodes(MonitorConfig config) {
        this.config = config;
    }

    /**
     * Applies a snapshot: the cluster's nodes become exactly the snapshot's. Snapshots do not carry a
     * cluster's credentialsRef, so every cluster uses the {@code default} credentials until the agent
     * loads clusters from the registry.
     */
    public synchronized void apply(TopologyChanged snapshot) {
        TopologyChanged current = applied.get(snapshot.clusterId());
        if (!snapshot.supersedes(current)) {
            return; // the registry's newer state arrived first (initial load), then the topic's history
        }
        applied.put(snapshot.clusterId(), snapshot);
        MonitorConfig.NodeCredentials credentials = config.credentials().get("default");
        if (credentials == null) {
            LOG.warnf("no credentials for cluster %s (regent.monitor.credentials.default.*): not probed",
                    snapshot.clusterId());
            byCluster.remove(snapshot.clusterId());
            return;
        }
        List<NodeTarget> targets = new ArrayList<>();
        for (TopologyNode node : snapshot.nodes()) {
            targets.add(new NodeTarget(snapshot.clusterId(), node.name(), node.host(), node.port(), snapshot.engine(),
                    credentials.username(), credentials.password().orElse(""), credentials.database()));
        }
        List<NodeTarget> previous = byCluster.put(snapshot.clusterId(), List.copyOf(targets));
        if (previous == null || !previous.equals(targets)) {
            LOG.infof("cluster %s: watching %d node(s) at epoch %d", snapshot.clusterId(), targets.size(),
                    snapshot.epoch());
        }
    }

    /** A deleted cluster (tombstone): stop probing its nodes. */
    public synchronized List<NodeTarget> remove(String clusterId) {
        applied.remove(clusterId);
        List<NodeTarget> removed = byCluster.remove(clusterId);
        if (removed != null) {
            LOG.infof("cluster %s removed: no longer probed", clusterId);
        }
        return removed == null ? List.of() : removed;
    }

    /** The newest topology applied for a cluster. */
    public Optional<TopologyChanged> topology(String clusterId) {
        return Optional.ofNullable(applied.get(clusterId));
    }

    public Collection<NodeTarget> all() {
        List<NodeTarget> all = new ArrayList<>();
        byCluster.values().forEach(all::addAll);
        return all;
    }
}
