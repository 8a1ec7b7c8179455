package io.regent.failover.decision;

import java.util.List;
import java.util.Objects;

/**
 * How a decision is carried out: the steps in order, each a single action on one node, for the
 * executor to apply and nothing else (as the Kafka KRaft controller's decisions return records).
 * Every step has the same precondition, checked against the registry's database right before it: the
 * operation still runs, its executor still holds it with its fencing token, and the leader epoch is
 * still the one the operation started from. Each step is idempotent, so a plan can be applied again
 * from the start by whoever holds the operation next.
 *
 * @param steps in order
 */
public record Plan(List<Step> steps) {

    public Plan {
        steps = List.copyOf(steps);
    }

    /** One action on one node. */
    public sealed interface Step {
        String node();
    }

    /**
     * Make {@code node} read-only and end its client sessions.
     *
     * @param attempt  false: it is not tried at all (unreachable: it is fenced when it is seen again)
     * @param required false: a failure is recorded and the plan goes on
     * @param why      what the operation's phase says about it
     */
    public record Fence(String node, boolean attempt, boolean required, String why) implements Step {
    }

    /** A planned switchover: a write barrier on the fenced {@code leader}, then wait until {@code node} replayed it. */
    public record CatchUp(String leader, String node) implements Step {
    }

    /**
     * Before a switchover's promotion: follower {@code node} stops receiving from the fenced {@code leader}
     * (which still writes background WAL) and receives from {@code candidate}; the candidate is promoted only
     * once it holds everything the follower received, so the follower never passes its fork point.
     */
    public record Detach(String node, String leader, String candidate) implements Step {
    }

    /** End recovery on {@code node} into a fence: a leader, not writable yet. */
    public record Promote(String node) implements Step {
    }

    /** Make {@code node} writable, its commits waiting for {@code k} of {@code standbys} (k = 0: asynchronous). */
    public record Open(String node, List<String> standbys, int k, String describe) implements Step {
        public Open {
            standbys = List.copyOf(standbys);
            Objects.requireNonNull(describe, "describe");
        }
    }

    /** Point follower {@code node} at {@code leader}. */
    public record Repoint(String node, String leader) implements Step {
    }

    /** Compare-and-set the registry to leader {@code node} (epoch + 1), {@code replaced} needing a rejoin. */
    public record Announce(String node, String replaced) implements Step {
    }

    /** The steps of one kind, in order. */
    public <T extends Step> List<T> stepsOf(Class<T> kind) {
        return steps.stream().filter(kind::isInstance).map(kind::cast).toList();
    }
}
