package io.regent.monitor.topology;

import io.quarkus.runtime.StartupEvent;
import io.regent.events.TopologyChanged;
import io.regent.monitor.config.MonitorConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * At start, reads every cluster's topology from the registry, so an agent probes the whole fleet
 * even when the topology topic no longer holds a cluster's snapshot; the topic then brings the
 * changes (older snapshots from it are ignored, see {@link WatchedNodes#apply}). A registry that
 * cannot be reached delays nothing: the topic still delivers what it holds.
 */
@ApplicationScoped
public class InitialLoad {

    private static final Logger LOG = Logger.getLogger(InitialLoad.class);
    private static final int PAGE = 100;

    private final MonitorConfig config;
    private final RegistryApi registry;
    private final WatchedNodes nodes;

    public InitialLoad(MonitorConfig config, @RestClient RegistryApi registry, WatchedNodes nodes) {
        this.config = config;
        this.registry = registry;
        this.nodes = nodes;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.registry().initialLoad()) {
            Thread thread = new Thread(this::load, "regent-initial-load");
            thread.setDaemon(true);
            thread.start();
        }
    }

    void load() {
        try {
            int loaded = 0;
            for (int page = 0; ; page++) {
                RegistryApi.ClusterPage clusters = registry.clusters(page, PAGE);
                for (RegistryApi.ClusterId cluster : clusters.items()) {
                    TopologyChanged topology = registry.topology(cluster.id());
                    nodes.apply(topology);
                    loaded++;
                }
                if (clusters.items().size() < PAGE) {
                    break;
                }
            }
            LOG.infof("loaded %d cluster(s) from the registry", loaded);
        } catch (RuntimeException e) {
            LOG.warnf("could not load the clusters from the registry (%s); following the topology topic only",
                    e.getMessage());
        }
    }
}
