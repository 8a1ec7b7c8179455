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
 * @param readOnlySince the first probe of the current unbroken run that found the node a leader (not in
 *                      recovery) that takes no writes; null when the latest probe did not
 */
public record Sighting(NodeObserved latest, Instant downSince, NodeObserved lastHealthy, Instant readOnlySince) {

    public Sighting {
        Objects.requireNonNull(latest, "latest");
    }

    public Sighting(NodeObserved latest, Instant downSince, NodeObserved lastHealthy) {
        this(latest, downSince, lastHealthy, readOnlyLeader(latest) ? latest.observedAt() : null);
    }

    public static Sighting first(NodeObserved observed) {
        return observed.reachable()
                ? new Sighting(observed, null, observed)
                : new Sighting(observed, observed.observedAt(), null);
    }

    private static boolean readOnlyLeader(NodeObserved observed) {
        return observed.reachable() && observed.role() == io.regent.events.NodeRole.LEADER
                && Boolean.TRUE.equals(observed.readOnly());
    }

    /** This sighting updated by {@code next}; an observation older than the latest is ignored. */
    public Sighting then(NodeObserved next) {
        if (next.observedAt().isBefore(latest.observedAt())) {
            return this;
        }
        if (!next.reachable()) {
            return new Sighting(next, downSince == null ? next.observedAt() : downSince, lastHealthy, null);
        }
        Instant readOnly = !readOnlyLeader(next) ? null : readOnlySince != null ? readOnlySince : next.observedAt();
        return new Sighting(next, null, next, readOnly);
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
