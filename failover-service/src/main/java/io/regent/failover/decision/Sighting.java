package io.regent.failover.decision;

import io.regent.events.NodeObserved;
import java.time.Instant;
import java.util.Objects;

/**
 * What one agent knows about one node: its latest observation and, derived from the ones before,
 * since when the node has been unreachable without interruption and its last successful probe.
 *
 * @param latest      the newest observation from this agent
 * @param downSince   the first failed probe of the current unbroken run of failed probes; null when the latest probe succeeded
 * @param lastHealthy the newest successful probe (it keeps the node's last known position); null when none was seen
 */
public record Sighting(NodeObserved latest, Instant downSince, NodeObserved lastHealthy) {

    public Sighting {
        Objects.requireNonNull(latest, "latest");
    }

    public static Sighting first(NodeObserved observed) {
        return observed.reachable()
                ? new Sighting(observed, null, observed)
                : new Sighting(observed, observed.observedAt(), null);
    }

    /** This sighting updated by {@code next}; an observation older than the latest is ignored. */
    public Sighting then(NodeObserved next) {
        if (next.observedAt().isBefore(latest.observedAt())) {
            return this;
        }
        return next.reachable()
                ? new Sighting(next, null, next)
                : new Sighting(next, downSince == null ? next.observedAt() : downSince, lastHealthy);
    }

    public String agent() {
        return latest.observerId();
    }

    public Instant observedAt() {
        return latest.observedAt();
    }

    public boolean reachable() {
        return latest.reachable();
    }

    public boolean freshAt(Instant now, ClusterPolicy policy) {
        return !latest.observedAt().isBefore(now.minus(policy.observationMaxAge()));
    }
}
