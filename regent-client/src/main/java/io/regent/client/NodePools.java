package io.regent.client;

import io.regent.events.TopologyNode;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * One pool per node, made by the application's factory when the node is first needed and closed when
 * it must no longer be used (it left the cluster, or it was the leader of an epoch that ended). Closing
 * runs on a thread of its own: a pool may wait seconds for its borrowed connections.
 */
final class NodePools implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(NodePools.class.getName());

    /** A node's address: a node moved to another host or port is another pool. */
    record Endpoint(String name, String host, int port) {
        static Endpoint of(TopologyNode node) {
            return new Endpoint(node.name(), node.host(), node.port());
        }

        @Override
        public String toString() {
            return name + " (" + host + ":" + port + ")";
        }
    }

    private final Function<TopologyNode, DataSource> factory;
    private final Map<Endpoint, DataSource> pools = new ConcurrentHashMap<>();
    private final ExecutorService closer = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "regent-client-pool-closer");
        thread.setDaemon(true);
        return thread;
    });

    NodePools(Function<TopologyNode, DataSource> factory) {
        this.factory = factory;
    }

    DataSource of(TopologyNode node) {
        return pools.computeIfAbsent(Endpoint.of(node), endpoint -> {
            DataSource pool = factory.apply(node);
            if (pool == null) {
                throw new IllegalStateException("the pool factory returned no pool for " + endpoint);
            }
            return pool;
        });
    }

    /** Closes the pool of {@code endpoint}, if there is one: its connections are cut, borrowed ones as they can be. */
    void retire(Endpoint endpoint) {
        DataSource pool = pools.remove(endpoint);
        if (pool != null) {
            closer.execute(() -> closeQuietly(endpoint, pool));
        }
    }

    /** Closes the pools of nodes that are not in {@code nodes} any more. */
    void retainOnly(Collection<TopologyNode> nodes) {
        Set<Endpoint> keep = nodes.stream().map(Endpoint::of).collect(Collectors.toSet());
        for (Endpoint endpoint : Set.copyOf(pools.keySet())) {
            if (!keep.contains(endpoint)) {
                retire(endpoint);
            }
        }
    }

    private static void closeQuietly(Endpoint endpoint, DataSource pool) {
        if (pool instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "closing the pool of " + endpoint + " failed: " + e);
            }
        }
    }

    @Override
    public void close() {
        for (Endpoint endpoint : Set.copyOf(pools.keySet())) {
            retire(endpoint);
        }
        closer.shutdown();
        try {
            closer.awaitTermination(15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
