package io.regent.monitor.health;

import io.regent.events.kafka.ConsumerProgress;
import io.regent.monitor.config.MonitorConfig;
import io.regent.monitor.topology.TopologyWatcher;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Not ready when the topology feed stopped polling: the agent would probe a topology that no longer changes. */
@Readiness
@ApplicationScoped
public class ConsumerReadiness implements HealthCheck {

    private final TopologyWatcher watcher;
    private final MonitorConfig config;

    public ConsumerReadiness(TopologyWatcher watcher, MonitorConfig config) {
        this.watcher = watcher;
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        ConsumerProgress progress = watcher.progress();
        HealthCheckResponseBuilder response = HealthCheckResponse.named("kafka-consumers");
        if (progress == null) {
            return response.down().withData("regent-monitor-topology", "not started").build();
        }
        boolean[] healthy = new boolean[1];
        ConsumerProgress.report(List.of(progress), config.consumerStalledAfter(), healthy).forEach(response::withData);
        return response.status(healthy[0]).build();
    }
}
