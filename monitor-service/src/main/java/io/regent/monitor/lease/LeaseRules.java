package io.regent.monitor.lease;

import io.regent.events.ReplicaState;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * What the agent next to the leader does about its lease after one renewal attempt (pure: the keeper does
 * the I/O). The lease is the leader's licence to take writes: the failover-service promotes no other node
 * while it runs, and the registry stops renewing it the moment a failover of this leader is on record.
 */
public final class LeaseRules {

    private LeaseRules() {
    }

    /** How the registry answered the renewal. */
    public enum Renewal {
        /** Granted: the lease runs {@code lease} from before the request was sent. */
        GRANTED,
        /** A failover of this leader is on record (409 failover-running): it is being replaced. */
        FAILOVER_RUNNING,
        /** Not the leader at the registry's epoch (409 not-leader): it was replaced already. */
        NOT_LEADER,
        /** No answer that says either (unreachable, 5xx, timeout). */
        UNANSWERED
    }

    public enum Action {
        NOTHING,
        /** Make the server read-only with commits held, end client sessions; kill it if it does not answer. */
        FENCE,
        /** The same, but only by SQL: the control plane has moved on and fences a stale leader itself. */
        FENCE_POLITELY,
        /** The lease lapsed with the registry out of reach: fence unless every follower still streams from it. */
        FENCE_UNLESS_FAILSAFE
    }

    /** The decision, and why, for the log. */
    public record Outcome(Action action, String reason) {
    }

    /**
     * @param renewal        the answer to this round's renewal
     * @param sinceLastGrant time since the last granted renewal was sent, on the agent's monotonic clock;
     *                       null when no lease was held since the node became leader
     * @param lease          the lease asked for
     * @param fenceAhead     how long before the lease ends the fence must start
     * @param fenced         whether the agent fenced its server since the last grant (fence once)
     */
    public static Outcome afterRenewal(Renewal renewal, Duration sinceLastGrant, Duration lease, Duration fenceAhead,
            boolean fenced) {
        if (renewal == Renewal.GRANTED) {
            return new Outcome(Action.NOTHING, "lease renewed for " + lease.toMillis() + " ms");
        }
        if (fenced) {
            return new Outcome(Action.NOTHING, "fenced already since the last renewal");
        }
        return switch (renewal) {
            case FAILOVER_RUNNING -> new Outcome(Action.FENCE, "a failover of this leader is on record and the "
                    + "lease was not renewed: fencing the server before another node is promoted");
            case NOT_LEADER -> new Outcome(Action.FENCE_POLITELY, "the registry no longer counts this node as "
                    + "the leader at this epoch: fencing it");
            default -> {
                if (sinceLastGrant == null) {
                    yield new Outcome(Action.NOTHING, "no lease held yet and the registry does not answer");
                }
                Duration fenceAt = lease.minus(fenceAhead);
                if (sinceLastGrant.compareTo(fenceAt) < 0) {
                    yield new Outcome(Action.NOTHING, "renewal unanswered; the lease runs "
                            + lease.minus(sinceLastGrant).toMillis() + " ms more");
                }
                yield new Outcome(Action.FENCE_UNLESS_FAILSAFE, "no renewal for " + sinceLastGrant.toMillis()
                        + " ms of a " + lease.toMillis() + " ms lease and the registry does not answer");
            }
        };
    }

    /**
     * Whether a leader whose lease lapsed with the registry out of reach may stay writable (failsafe): only when
     * every other node of the topology streams from it and has answered it within {@code replyWithin}, by the
     * leader's own clock - then none of them can have been promoted. A WAL sender shows a standby cut off by a
     * partition as "streaming" until {@code wal_sender_timeout} (no FIN arrives); only the age of its last
     * reply tells a live standby from a stale row. Followers reply whenever WAL arrives, and the agents' probes
     * write a heartbeat record every second, so a standby in touch replies about once a second.
     *
     * @param followers   the other nodes of the topology
     * @param replicas    the leader's WAL senders as its own agent just read them
     * @param replyWithin the oldest reply that still counts
     */
    public static Outcome failsafe(Collection<String> followers, List<ReplicaState> replicas, Duration replyWithin) {
        if (followers.isEmpty()) {
            return new Outcome(Action.NOTHING, "no other node could have been promoted: keeping it writable (failsafe)");
        }
        for (String follower : followers.stream().sorted().toList()) {
            Optional<ReplicaState> sender = replicas.stream().filter(r -> follower.equals(r.name())).findFirst();
            if (sender.isEmpty() || !"streaming".equals(sender.get().state())) {
                return new Outcome(Action.FENCE, "follower " + follower + " does not stream from this node");
            }
            Long age = sender.get().replyAgeMillis();
            if (age == null || age > replyWithin.toMillis()) {
                return new Outcome(Action.FENCE, "follower " + follower + " shows as streaming but "
                        + (age == null ? "never replied" : "has not replied for " + age + " ms") + " (more than "
                        + replyWithin.toMillis() + " ms): it may have been cut off and promoted");
            }
        }
        return new Outcome(Action.NOTHING, "every follower streams from this node and replied within "
                + replyWithin.toMillis() + " ms, so none was promoted: keeping it writable (failsafe)");
    }
}
