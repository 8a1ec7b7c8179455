package io.regent.gateway.health;

import io.regent.events.kafka.ConsumerProgress;
import io.regent.gateway.config.GatewayConfig;
import io.regent.gateway.topology.TopologyView;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Not ready when the health view or the topology feed has not completed a poll for a while: the routing checks
 * and the dashboard would answer from a view that stopped changing.
 */
@Readiness
@ApplicationScoped
public class ConsumerReadiness implements HealthCheck {

    private final NodeHealthView health;
    private final TopologyView topology;
    private final GatewayConfig config;

    public ConsumerReadiness(NodeHealthView health, TopologyView topology, GatewayConfig config) {
        this.health = health;
        this.topology = topology;
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        List<ConsumerProgress> consumers = new ArrayList<>(List.of(health.progress()));
        if (topology.progress() != null) {
            consumers.add(topology.progress());
        }
        boolean[] healthy = new boolean[1];
        HealthCheckResponseBuilder response = HealthCheckResponse.named("kafka-consumers");
        ConsumerProgress.report(consumers, config.consumers().stalledAfter(), healthy).forEach(response::withData);
        return response.status(healthy[0]).build();
    }
}
