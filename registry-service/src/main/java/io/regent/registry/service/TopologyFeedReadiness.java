package io.regent.registry.service;

import io.regent.events.kafka.ConsumerProgress;
import io.regent.registry.config.RegistryConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Not ready when the topology feed stopped polling (it died or hangs): this replica's reads would stop
 * showing other replicas' changes. A Kafka outage is not a stall (the feed keeps polling), so - as the
 * readiness comment in application.properties requires - the broker's availability still never takes a
 * registry out of its load balancer.
 */
@Readiness
@ApplicationScoped
public class TopologyFeedReadiness implements HealthCheck {

    private final TopologyView view;
    private final RegistryConfig config;

    public TopologyFeedReadiness(TopologyView view, RegistryConfig config) {
        this.view = view;
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        ConsumerProgress progress = view.progress();
        HealthCheckResponseBuilder response = HealthCheckResponse.named("topology-feed");
        if (progress == null) {
            return response.up().withData("feed", "not following the topic").build();
        }
        boolean[] healthy = new boolean[1];
        ConsumerProgress.report(List.of(progress), config.topologyView().stalledAfter(), healthy)
                .forEach(response::withData);
        return response.status(healthy[0]).build();
    }
}
