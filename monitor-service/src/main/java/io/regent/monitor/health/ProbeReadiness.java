package io.regent.monitor.health;

import io.regent.monitor.config.MonitorConfig;
import io.regent.monitor.probe.ProbeScheduler;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Not ready when no probe round has started within three intervals: the agent is stuck. */
@Readiness
@ApplicationScoped
public class ProbeReadiness implements HealthCheck {

    private final ProbeScheduler scheduler;
    private final MonitorConfig config;

    public ProbeReadiness(ProbeScheduler scheduler, MonitorConfig config) {
        this.scheduler = scheduler;
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        Instant last = scheduler.lastRound();
        Duration limit = config.probeInterval().multipliedBy(3);
        boolean fresh = last != null && Duration.between(last, Instant.now()).compareTo(limit) <= 0;
        return HealthCheckResponse.named("probes").status(fresh)
                .withData("agent", config.agentId())
                .withData("lastRound", last == null ? "never" : last.toString())
                .build();
    }
}
