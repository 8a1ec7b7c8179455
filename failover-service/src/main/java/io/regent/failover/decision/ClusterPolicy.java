package io.regent.failover.decision;

import java.time.Duration;
import java.util.Objects;

/**
 * How a cluster wants its failures handled: the registry's failover policy plus the service-wide
 * timing rules that decide() needs.
 *
 * @param automatic             fail over without a person asking
 * @param detectionWindow       how long a quorum must see the leader unreachable, counted from each agent's first failed probe
 * @param observerQuorum        distinct agents that must agree the leader is down
 * @param maxLagOnFailoverBytes a candidate further behind the leader's last known position is excluded
 * @param rpoZeroRequired       refuse any failover that could lose an acknowledged commit
 * @param minFailoverInterval   no automatic failover sooner than this after the previous one (anti-flapping)
 * @param observationMaxAge     an observation older than this no longer counts (agent presumed gone)
 * @param autoRejoin            have a node's own agent heal it: rewind a replaced leader into a follower,
 *                              restart or rebuild a follower that is down, build a new node
 * @param followerRepairAfter   a follower unreachable for every agent this long is repaired by its agent
 */
public record ClusterPolicy(
        boolean automatic,
        Duration detectionWindow,
        int observerQuorum,
        long maxLagOnFailoverBytes,
        boolean rpoZeroRequired,
        Duration minFailoverInterval,
        Duration observationMaxAge,
        boolean autoRejoin,
        Duration followerRepairAfter) {

    /** A policy with automatic rejoin on (the registry's default) and followers repaired after 10 s down. */
    public ClusterPolicy(boolean automatic, Duration detectionWindow, int observerQuorum, long maxLagOnFailoverBytes,
            boolean rpoZeroRequired, Duration minFailoverInterval, Duration observationMaxAge) {
        this(automatic, detectionWindow, observerQuorum, maxLagOnFailoverBytes, rpoZeroRequired, minFailoverInterval,
                observationMaxAge, true, Duration.ofSeconds(10));
    }

    public ClusterPolicy {
        Objects.requireNonNull(detectionWindow, "detectionWindow");
        Objects.requireNonNull(minFailoverInterval, "minFailoverInterval");
        Objects.requireNonNull(observationMaxAge, "observationMaxAge");
        Objects.requireNonNull(followerRepairAfter, "followerRepairAfter");
        if (observerQuorum < 1) {
            throw new IllegalArgumentException("observerQuorum must be at least 1, got " + observerQuorum);
        }
    }
}
