package io.regent.monitor.topology;

import io.regent.engines.ClusterLogins;
import io.regent.engines.NodeTarget;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.monitor.config.MonitorConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/** The nodes this agent probes, kept current from topology snapshots. */
@ApplicationScoped
public class WatchedNodes {

    private static final Logger LOG = Logger.getLogger(WatchedNodes.class);

    /** Each cluster's nodes; their targets get the cluster's login when probed. */
    private final Map<String, TopologyChanged> byCluster = new ConcurrentHashMap<>();
    /** The epoch and time of the snapshot each cluster's nodes come from: an older one is ignored. */
    private final Map<String, TopologyChanged> applied = new ConcurrentHashMap<>();
    private final MonitorConfig config;
    private final ClusterLogins logins;

    public WatchedNodes(MonitorConfig config, @RestClient RegistryApi registry) {
        this.config = config;
        MonitorConfig.NodeCredentials shared = config.credentials().get("default");
        Optional<ClusterLogins.Login> fallback = shared == null || !config.clusterLogins().fallbackToDefault()
                ? Optional.empty() : Optional.of(new ClusterLogins.Login(shared.username(),
                        shared.password().orElse("")));
        this.logins = ClusterLogins.start(clusterId -> stored(registry, clusterId), fallback,
                config.clusterLogins().refresh());
    }

    private static Optional<ClusterLogins.Login> stored(RegistryApi registry, String clusterId) {
        try {
            RegistryApi.StoredLogin login = registry.credentials(clusterId);
            return Optional.of(new ClusterLogins.Login(login.username(), login.password()));
        } catch (WebApplicationException e) {
            if (e.getResponse().getStatus() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The login for an action on one of the cluster's nodes (waits for the registry when it must ask). */
    public ClusterLogins.Login loginFor(String clusterId) {
        return logins.forAction(clusterId);
    }

    /**
     * Applies a snapshot: the cluster's nodes become exactly the snapshot's. Their login is the cluster's own
     * (fetched from the registry in the background) or the default one, chosen at each probe round.
     */
    public synchronized void apply(TopologyChanged snapshot) {
        TopologyChanged current = applied.get(snapshot.clusterId());
        if (!snapshot.supersedes(current)) {
            return; // the registry's newer state arrived first (initial load), then the topic's history
        }
        applied.put(snapshot.clusterId(), snapshot);
        TopologyChanged previous = byCluster.put(snapshot.clusterId(), snapshot);
        listeners.forEach(listener -> listener.accept(snapshot));
        logins.now(snapshot.clusterId()); // fetches it now, before the first probe round needs it
        if (previous == null || !previous.nodes().equals(snapshot.nodes())) {
            LOG.infof("cluster %s: watching %d node(s) at epoch %d", snapshot.clusterId(), snapshot.nodes().size(),
                    snapshot.epoch());
        }
    }

    /** Called with every snapshot applied, on the thread that applies it (keep it short). */
    public void whenApplied(java.util.function.Consumer<TopologyChanged> listener) {
        listeners.add(listener);
    }

    private final List<java.util.function.Consumer<TopologyChanged>> listeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A deleted cluster (tombstone): stop probing its nodes. */
    public synchronized List<NodeTarget> remove(String clusterId) {
        applied.remove(clusterId);
        TopologyChanged removed = byCluster.remove(clusterId);
        List<NodeTarget> targets = removed == null ? List.of() : targets(removed);
        logins.forget(clusterId);
        if (removed != null) {
            LOG.infof("cluster %s removed: no longer probed", clusterId);
        }
        return targets;
    }

    /** The newest topology applied for a cluster. */
    public Optional<TopologyChanged> topology(String clusterId) {
        return Optional.ofNullable(applied.get(clusterId));
    }

    /** Every node to probe now, each with its cluster's current login (a cluster with none is not probed). */
    public Collection<NodeTarget> all() {
        List<NodeTarget> all = new ArrayList<>();
        byCluster.values().forEach(snapshot -> all.addAll(targets(snapshot)));
        return all;
    }

    private List<NodeTarget> targets(TopologyChanged snapshot) {
        Optional<ClusterLogins.Login> login = logins.now(snapshot.clusterId());
        if (login.isEmpty()) {
            if (unprobed.add(snapshot.clusterId())) {
                LOG.warnf("cluster %s: no login (none stored in the registry, and the default login is not allowed "
                        + "or not set): not probed", snapshot.clusterId());
            }
            return List.of();
        }
        unprobed.remove(snapshot.clusterId());
        MonitorConfig.NodeCredentials shared = config.credentials().get("default");
        String database = shared == null ? "postgres" : shared.database();
        List<NodeTarget> targets = new ArrayList<>();
        for (TopologyNode node : snapshot.nodes()) {
            targets.add(new NodeTarget(snapshot.clusterId(), node.name(), node.host(), node.port(), snapshot.engine(),
                    login.get().username(), login.get().password() == null ? "" : login.get().password(), database));
        }
        return targets;
    }

    /** Clusters that had no login at the last round (warned once). */
    private final java.util.Set<String> unprobed = ConcurrentHashMap.newKeySet();
}
