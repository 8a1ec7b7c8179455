package io.regent.failover.execution;

import io.regent.engines.ClusterLogins;
import io.regent.engines.NodeTarget;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.failover.config.FailoverConfig;
import io.regent.failover.registry.RegistryApi;
import io.regent.failover.registry.RegistryRequests;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;
import java.util.Optional;
import org.eclipse.microprofile.rest.client.inject.RestClient;

/**
 * How this service reaches a topology's nodes: their address, the cluster's engine, and the cluster's own login
 * from the registry (or the default login, where the operator allows it).
 */
@ApplicationScoped
public class NodeTargets {

    private final ClusterLogins logins;

    public NodeTargets(FailoverConfig config, @RestClient RegistryApi registry) {
        FailoverConfig.Credentials shared = config.credentials().get("default");
        Optional<ClusterLogins.Login> fallback = shared == null || !config.clusterLogins().fallbackToDefault()
                ? Optional.empty() : Optional.of(new ClusterLogins.Login(shared.username(),
                        shared.password().orElse(null)));
        this.logins = ClusterLogins.start(clusterId -> stored(registry, clusterId), fallback,
                config.clusterLogins().refresh());
    }

    private static Optional<ClusterLogins.Login> stored(RegistryApi registry, String clusterId) {
        try {
            RegistryRequests.StoredLogin login = registry.credentials(clusterId);
            return Optional.of(new ClusterLogins.Login(login.username(), login.password()));
        } catch (WebApplicationException e) {
            if (e.getResponse().getStatus() == 404) {
                return Optional.empty(); // none stored (or the cluster is gone)
            }
            throw e;
        }
    }

    /** {@code name} of this topology, with the cluster's login. */
    public NodeTarget target(TopologyChanged topology, String name) {
        ClusterLogins.Login login = logins.forAction(topology.clusterId());
        TopologyNode node = node(topology, name);
        return new NodeTarget(topology.clusterId(), node.name(), node.host(), node.port(), topology.engine(),
                login.username(), login.password(), "postgres");
    }

    /** {@code name}'s entry in the topology; refuses, naming the epoch, when it is not there. */
    public static TopologyNode node(TopologyChanged topology, String name) {
        return topology.nodes().stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("node " + name + " is not in the topology of "
                        + topology.clusterId() + " (epoch " + topology.epoch() + ")"));
    }
}
