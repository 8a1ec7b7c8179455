package io.regent.failover.execution;

import io.regent.engines.NodeTarget;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.failover.config.FailoverConfig;
import jakarta.enterprise.context.ApplicationScoped;

/** How this service reaches a topology's nodes: their address, the cluster's engine, Regent's role on them. */
@ApplicationScoped
public class NodeTargets {

    private final FailoverConfig config;

    public NodeTargets(FailoverConfig config) {
        this.config = config;
    }

    /** {@code name} of this topology with the "default" credentials. */
    public NodeTarget target(TopologyChanged topology, String name) {
        FailoverConfig.Credentials credentials = config.credentials().get("default");
        if (credentials == null) {
            throw new IllegalStateException("no database credentials configured (regent.failover.credentials.default.*)");
        }
        TopologyNode node = node(topology, name);
        return new NodeTarget(topology.clusterId(), node.name(), node.host(), node.port(), topology.engine(),
                credentials.username(), credentials.password().orElse(null), "postgres");
    }

    /** {@code name}'s entry in the topology; refuses, naming the epoch, when it is not there. */
    public static TopologyNode node(TopologyChanged topology, String name) {
        return topology.nodes().stream().filter(n -> n.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("node " + name + " is not in the topology of "
                        + topology.clusterId() + " (epoch " + topology.epoch() + ")"));
    }
}
