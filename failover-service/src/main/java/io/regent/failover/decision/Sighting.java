package io.regent.failover.decision;

import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.ProbeErrorKind;
import java.time.Duration;
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
 * @param receivedAt    when this instance received {@code latest}, on its own clock
 * @param lastStreaming the newest successful probe that found the node's replication receiver connected to a
 *                      sender (where and on which timeline it last streamed from); null when none was seen
 * @param upstreamSince the first probe (agent's clock) of the current run of successful probes that found the
 *                      node a follower with the same upstream as the latest - connected to the same sender, or to
 *                      none; null when the latest successful probe found no follower
 *
 * <p><b>Clocks.</b> Every instant inside an observation is on its agent's clock, which may be skewed
 * against this instance's. Instants of one agent are only ever subtracted from each other (a duration on
 * one clock), and placed on this instance's clock through the receipt time of the latest observation
 * ({@link #local}): an instant so placed is never earlier than it truly was (the probe and its delivery
 * took time), so "down since", "last answered" and "last heard" err towards "more recent" - towards
 * waiting, never towards a failover.
 */
public record Sighting(NodeObserved latest, Instant downSince, NodeObserved lastHealthy, Instant readOnlySince,
        int failedProbes, boolean weak, NodeObserved lastAnswered, Instant receivedAt, NodeObserved lastStreaming,
        Instant upstreamSince) {

    public Sighting {
        Objects.requireNonNull(latest, "latest");
        Objects.requireNonNull(receivedAt, "receivedAt");
    }

    /** The first observation of a node by an agent, received by this instance at {@code receivedAt}. */
    public static Sighting first(NodeObserved observed, Instant receivedAt) {
        if (answered(observed)) {
            return new Sighting(observed, null, observed.reachable() ? observed : null,
                    readOnlyLeader(observed) ? observed.observedAt() : null, 0, false, observed, receivedAt,
                    streaming(observed) ? observed : null, upstream(observed) == null ? null : observed.observedAt());
        }
        return new Sighting(observed, observed.observedAt(), null, null, 1, timedOut(observed), null, receivedAt, null,
                null);
    }

    /**
     * This sighting updated by {@code next}, received at {@code receivedAt}; an observation older than the
     * latest (by the agent's own clock) is ignored.
     */
    public Sighting then(NodeObserved next, Instant receivedAt) {
        if (next.observedAt().isBefore(latest.observedAt())) {
            return this;
        }
        if (!answered(next)) {
            return new Sighting(next, downSince == null ? next.observedAt() : downSince, lastHealthy, null,
                    failedProbes + 1, weak || timedOut(next), lastAnswered, receivedAt, lastStreaming, upstreamSince);
        }
        if (!next.reachable()) { // alive, but refused Regent's role or was too busy or slow to serve the probe
            return new Sighting(next, null, lastHealthy, null, 0, false, next, receivedAt, lastStreaming,
                    upstreamSince);
        }
        Instant readOnly = !readOnlyLeader(next) ? null : readOnlySince != null ? readOnlySince : next.observedAt();
        String upstream = upstream(next);
        boolean sameUpstream = upstream != null && upstreamSince != null && lastHealthy != null
                && upstream.equals(upstream(lastHealthy));
        boolean leads = next.role() == NodeRole.LEADER;
        return new Sighting(next, null, next, readOnly, 0, false, next, receivedAt,
                streaming(next) ? next : leads ? null : lastStreaming,
                upstream == null ? null : sameUpstream ? upstreamSince : next.observedAt());
    }

    /** A follower's upstream: "host:port" of the sender its receiver is connected to, "" for none; null for a leader. */
    static String upstream(NodeObserved observed) {
        if (!observed.reachable() || observed.role() != NodeRole.FOLLOWER) {
            return null;
        }
        return streaming(observed) ? observed.walReceiver().senderHost().toLowerCase(java.util.Locale.ROOT) + ":"
                + observed.walReceiver().senderPort() : "";
    }

    /** The probe found a replication receiver connected to a sender. */
    private static boolean streaming(NodeObserved observed) {
        return observed.reachable() && observed.walReceiver() != null && observed.walReceiver().senderPort() != null
                && observed.walReceiver().senderHost() != null;
    }

    /**
     * An instant of this agent's clock placed on this instance's clock: the receipt of the latest
     * observation minus how long before it began, measured on the agent's clock alone.
     */
    public Instant local(Instant agentInstant) {
        return receivedAt.minus(Duration.between(agentInstant, latest.observedAt()));
    }

    /** {@link #downSince} on this instance's clock; null when the node is not down. */
    public Instant localDownSince() {
        return downSince == null ? null : local(downSince);
    }

    /** {@link #readOnlySince} on this instance's clock; null when not read-only. */
    public Instant localReadOnlySince() {
        return readOnlySince == null ? null : local(readOnlySince);
    }

    /** When the node last answered this agent, on this instance's clock; null when it never did. */
    public Instant localLastAnswered() {
        return lastAnswered == null ? null : local(lastAnswered.observedAt());
    }

    /** When the node was last seen healthy by this agent, on this instance's clock; null when never. */
    public Instant localLastHealthy() {
        return lastHealthy == null ? null : local(lastHealthy.observedAt());
    }

    /**
     * How far this agent's clock is ahead of this instance's, as far as the latest observation tells: the
     * probe's end by the agent's clock minus its receipt. Kafka's delivery makes it read a little low.
     */
    public Duration clockOffset() {
        long probe = latest.probeMillis() == null ? 0 : latest.probeMillis();
        return Duration.between(receivedAt, latest.observedAt().plusMillis(probe));
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

    /** When the latest probe began, on the agent's clock (for messages; rules use {@link #receivedAt}). */
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

    /** The latest observation arrived recently enough to count at {@code now} (this instance's clock). */
    public boolean freshAt(Instant now, ClusterPolicy policy) {
        return !receivedAt.isBefore(now.minus(policy.observationMaxAge()));
    }
}
