package io.regent.failover.messaging;

import io.regent.events.kafka.ConsumerProgress;
import io.regent.failover.config.FailoverConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Not ready when the failover loop or the topology feed has not completed a poll for a while: it would decide blind. */
@Readiness
@ApplicationScoped
public class ConsumerReadiness implements HealthCheck {

    private final FailoverLoop loop;
    private final FailoverConfig config;

    public ConsumerReadiness(FailoverLoop loop, FailoverConfig config) {
        this.loop = loop;
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        boolean[] healthy = new boolean[1];
        HealthCheckResponseBuilder response = HealthCheckResponse.named("kafka-consumers");
        ConsumerProgress.report(loop.consumers(), config.consumerStalledAfter(), healthy).forEach(response::withData);
        return response.status(healthy[0]).build();
    }
}
