package io.regent.failover.decision;

import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.ProbeErrorKind;
import java.time.Instant;
import java.util.Objects;

/**
 * What one agent knows about one node: its latest observation and, derived from the ones before,
 * since when the node has been down without interruption, how, and its last answers.
 *
 * <p>A probe that failed in a way the server itself reported (AUTH, BUSY, SLOW: {@link
 * ProbeErrorKind#answered()}) is an answer: the node is alive, if unhealthy - it ends a run of failed
 * probes like a success, but carries no positions.
 *
 * @param latest        the newest observation from this agent
 * @param downSince     the first failed probe of the current unbroken run of failed probes; null when the
 *                      latest probe was answered
 * @param lastHealthy   the newest successful probe (it keeps the node's last known position); null when none was seen
 * @param readOnlySince the first probe of the current unbroken run that found the node a leader (not in
 *                      recovery) that takes no writes; null when the latest probe did not
 * @param failedProbes  probes failed without an answer in the current run (0 when the latest was answered)
 * @param weak          the run holds a probe that only timed out: no answer is weaker evidence than a refusal
 *                      (a slow or partitioned server also does not answer)
 * @param lastAnswered  the newest probe the node answered, successfully or not; null when none was
 */
public record Sighting(NodeObserved latest, Instant downSince, NodeObserved lastHealthy, Instant readOnlySince,
        int failedProbes, boolean weak, NodeObserved lastAnswered) {

    public Sighting {
        Objects.requireNonNull(latest, "latest");
    }

    public static Sighting first(NodeObserved observed) {
        if (answered(observed)) {
            return new Sighting(observed, null, observed.reachable() ? observed : null,
                    readOnlyLeader(observed) ? observed.observedAt() : null, 0, false, observed);
        }
        return new Sighting(observed, observed.observedAt(), null, null, 1, timedOut(observed), null);
    }

    /** This sighting updated by {@code next}; an observation older than the latest is ignored. */
    public Sighting then(NodeObserved next) {
        if (next.observedAt().isBefore(latest.observedAt())) {
            return this;
        }
        if (!answered(next)) {
            return new Sighting(next, downSince == null ? next.observedAt() : downSince, lastHealthy, null,
                    failedProbes + 1, weak || timedOut(next), lastAnswered);
        }
        if (!next.reachable()) { // alive, but refused Regent's role or was too busy or slow to serve the probe
            return new Sighting(next, null, lastHealthy, null, 0, false, next);
        }
        Instant readOnly = !readOnlyLeader(next) ? null : readOnlySince != null ? readOnlySince : next.observedAt();
        return new Sighting(next, null, next, readOnly, 0, false, next);
    }

    /** Whether the server answered the probe, successfully or with an error it reported itself. */
    static boolean answered(NodeObserved observed) {
        return observed.reachable() || (observed.error() != null && observed.error().kind() != null
                && observed.error().kind().answered());
    }

    private static boolean timedOut(NodeObserved observed) {
        return observed.error() == null || observed.error().kind() == null
                || observed.error().kind() == ProbeErrorKind.TIMEOUT || observed.error().kind() == ProbeErrorKind.OTHER;
    }

    private static boolean readOnlyLeader(NodeObserved observed) {
        return observed.reachable() && observed.role() == NodeRole.LEADER && Boolean.TRUE.equals(observed.readOnly());
    }

    public String agent() {
        return latest.observerId();
    }

    public Instant observedAt() {
        return latest.observedAt();
    }

    /** The latest probe succeeded. */
    public boolean reachable() {
        return latest.reachable();
    }

    /** The latest probe got no answer at all: the node may be down. */
    public boolean down() {
        return downSince != null;
    }

    /** The latest probe was answered with an error the server reported: alive, unhealthy. */
    public boolean unhealthy() {
        return !latest.reachable() && downSince == null;
    }

    public boolean freshAt(Instant now, ClusterPolicy policy) {
        return !latest.observedAt().isBefore(now.minus(policy.observationMaxAge()));
    }
}
