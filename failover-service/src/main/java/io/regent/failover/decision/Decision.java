package io.regent.failover.decision;

import io.regent.events.OperationKind;

/**
 * What {@link Decider} concluded, always with a reason a person can read in the log and on the
 * operation.
 */
public sealed interface Decision {

    String reason();

    /** Nothing to do: the cluster is healthy, or Regent must not act (maintenance, blind, manual only). */
    record NoAction(String reason) implements Decision {
    }

    /** A maintenance window switched on by command has ended: switch maintenance off. */
    record EndMaintenance(String reason) implements Decision {
    }

    /** Something looks wrong but the evidence is not yet sufficient; decide again on the next tick. */
    record Wait(String reason) implements Decision {
    }

    /** Promote {@code candidate} in place of {@code failedLeader}, starting from {@code epoch}. */
    record Failover(String failedLeader, String candidate, long epoch, String reason) implements Decision {
    }

    /** Planned: hand leadership from the healthy {@code leader} to {@code candidate} without losing a commit. */
    record Switchover(String leader, String candidate, long epoch, String reason) implements Decision {
    }

    /** {@code node} acts as a leader it no longer is: make it read-only and end its sessions. */
    record Fence(String node, long epoch, String reason) implements Decision {
    }

    /**
     * The registry's own leader {@code node} answers but has been read-only for the whole detection
     * window with no operation running - a failed step of an earlier leader change left it so: make it
     * writable again (DESIGN.md invariant 11, nothing stranded), as a checked operation of its own.
     */
    record Unfence(String node, long epoch, String reason) implements Decision {
    }

    /**
     * Have the agent at {@code agentEndpoint} make {@code node} a streaming follower of the leader:
     * a replaced leader (REJOIN), a follower that is down (REJOIN: restart, rewind or rebuild), or a
     * node never seen running (BOOTSTRAP: built from the leader). A null endpoint: the engine rejoins
     * a replaced leader from the control plane ({@code EngineAdapter.rejoin}).
     */
    record Rejoin(String node, OperationKind kind, String agentEndpoint, long epoch, String reason)
            implements Decision {
    }

    /**
     * An operation is needed or requested but would be unsafe or cannot run; record a failed operation with the
     * reason and do not guess. {@code node}: what it was about - the leader a failover or switchover would
     * replace, the node a rejoin would repair.
     */
    record Refuse(String node, long epoch, String reason) implements Decision {
    }
}
