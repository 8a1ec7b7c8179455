package io.regent.failover.execution;

import io.regent.engines.EngineAdapter;
import io.regent.engines.NodeTarget;
import io.regent.events.TopologyChanged;
import io.regent.failover.cluster.Claim;
import io.regent.failover.cluster.ClusterState;
import io.regent.failover.config.FailoverConfig;
import io.regent.failover.decision.Plan;
import io.regent.failover.decision.Planner;
import io.regent.failover.registry.RegistryApi;
import io.regent.failover.registry.RegistryRequests;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * The steps of a {@link Plan}, each one action on one node: checked against the registry first
 * ({@link Ownership#guard}), and started only before the hold's deadline on this process's clock
 * ({@link Ownership#deadline}), which the engine checks again right before it changes anything.
 */
@ApplicationScoped
public class Steps {

    private static final Logger LOG = Logger.getLogger(Steps.class);

    /** A step failed for good: the operation ends FAILED with this message (after its compensation, if any). */
    static final class Failed extends RuntimeException {
        Failed(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /** Longer than the longest lease the registry grants (60 s) plus the margin. */
    private static final Duration LONGEST_LEASE_WAIT = Duration.ofSeconds(65);
    /** How often a running lease is looked at again while a promotion waits for it. */
    private static final Duration LEASE_POLL = Duration.ofMillis(200);

    private final EngineAdapter engine;
    private final FailoverConfig config;
    private final NodeTargets targets;
    private final Ownership ownership;
    private final RegistryApi registry;

    public Steps(EngineAdapter engine, FailoverConfig config, NodeTargets targets, Ownership ownership,
            @RestClient RegistryApi registry) {
        this.registry = registry;
        this.engine = engine;
        this.config = config;
        this.targets = targets;
        this.ownership = ownership;
    }

    String fence(ClusterState state, Claim held, TopologyChanged topology, Plan.Fence fence) {
        if (!fence.attempt()) {
            return fence.why();
        }
        ownership.guard(held, "fence " + fence.node());
        try {
            engine.fence(targets.target(topology, fence.node()), ownership.deadline(held, config.actionTimeout()));
            state.fenced(fence.node(), Instant.now());
            return fence.node() + " is read-only, its client sessions ended";
        } catch (RuntimeException e) {
            if (e instanceof Ownership.Lapsed) {
                throw e;
            }
            if (fence.required()) {
                throw new Failed("fencing " + fence.node() + " failed (" + e.getMessage() + "): " + fence.why(), e);
            }
            return "fencing " + fence.node() + " failed (" + e.getMessage() + "); " + fence.why();
        }
    }

    /**
     * No promotion while the old leader may still hold its lease: its node agent fences its server before the
     * lease ends, and no renewal is granted once this failover is on record, so the wait is at most one lease.
     * Waits in slices of at most {@link #LEASE_POLL}, each after a fresh check of the hold (a holder gives its lease
     * up within a renewal interval of its server's death: the promotion should not sleep past that). Null when there was nothing to
     * wait for (no lease, given up by its holder, another node's, or run out longer than the margin ago).
     */
    String awaitLeaderLease(Claim held, String clusterId, String leader) {
        long started = System.nanoTime();
        String holder = null;
        String end;
        while (true) {
            long asked = System.nanoTime();
            RegistryRequests.LeaderLease lease = registry.leaderLease(clusterId);
            if (lease.remainingMillis() == null || !leader.equals(lease.node())) {
                end = "given up by its holder after its server was fenced or gone";
                break;
            }
            long wait = lease.remainingMillis() + config.leaseMargin().toMillis();
            if (wait <= 0) {
                end = "run out";
                break;
            }
            holder = lease.holder();
            if (System.nanoTime() - started > LONGEST_LEASE_WAIT.toNanos()) {
                // a lease is at most 60 s and is not renewed once the failover is on record: something else renews it
                throw new Failed("the lease of " + leader + " (held by " + holder + ") is still running after "
                        + LONGEST_LEASE_WAIT.toSeconds() + " s; not promoting beside a leader that may take writes", null);
            }
            ownership.guard(held, "wait for the lease of " + leader + " to run out");
            long slice = TimeUnit.MILLISECONDS.toNanos(Math.min(wait, LEASE_POLL.toMillis())) - (System.nanoTime() - asked);
            if (slice > 0) {
                LockSupport.parkNanos(slice);
            }
        }
        if (holder == null) {
            return null;
        }
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        String waitedFor = "waited " + waited + " ms for the lease of " + leader + " (held by " + holder + "): "
                + end;
        LOG.infof("%s", waitedFor);
        return waitedFor;
    }

    /** Barrier, then waits in slices of the lease, each after a fresh check, until the target replayed it. */
    long catchUp(Claim held, TopologyChanged topology, Plan.CatchUp catchUp) {
        long barrier;
        ownership.guard(held, "write a barrier on " + catchUp.leader());
        try {
            barrier = engine.writeBarrier(targets.target(topology, catchUp.leader()),
                    ownership.deadline(held, config.actionTimeout()));
        } catch (Ownership.Lapsed e) {
            throw e;
        } catch (RuntimeException e) {
            throw new Failed(e.getMessage(), e);
        }
        long deadline = System.nanoTime() + config.switchoverCatchUpTimeout().toNanos();
        NodeTarget target = targets.target(topology, catchUp.node());
        while (true) {
            ownership.guard(held, "wait for " + catchUp.node() + " to replay " + barrier);
            Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
            try {
                engine.awaitReplayed(target, barrier, ownership.deadline(held, left));
                return barrier;
            } catch (Ownership.Lapsed e) {
                throw e;
            } catch (RuntimeException e) {
                if (System.nanoTime() >= deadline) {
                    throw new Failed(e.getMessage(), e);
                }
            }
        }
    }

    /**
     * The other followers stop receiving from the fenced leader and receive through the candidate, then the
     * candidate is waited for until it holds everything they received: promoted, it forks after all of it, so
     * they follow it without a rewind. A follower that cannot be detached (it does not answer) is left as it
     * is - what the fenced leader still sends it may take it past the fork point, for its agent to repair; no
     * second writable node can come of it. Returns what the caught-up phase says of it ("" if nothing).
     */
    String detach(Claim held, TopologyChanged topology, List<Plan.Detach> detaches) {
        long started = System.nanoTime();
        long furthest = -1;
        List<String> said = new ArrayList<>();
        for (Plan.Detach detach : detaches) {
            ownership.guard(held, "detach " + detach.node() + " from " + detach.leader());
            try {
                OptionalLong received = engine.detach(targets.target(topology, detach.node()),
                        targets.target(topology, detach.leader()), targets.target(topology, detach.candidate()),
                        ownership.deadline(held, config.actionTimeout()));
                if (received.isPresent()) {
                    furthest = Math.max(furthest, received.getAsLong());
                    said.add(detach.node() + " receives through " + detach.candidate());
                }
            } catch (Ownership.Lapsed e) {
                throw e;
            } catch (RuntimeException e) {
                LOG.warnf("cluster %s: could not detach %s from %s: %s", topology.clusterId(), detach.node(),
                        detach.leader(), e.getMessage());
                said.add(detach.node() + " not detached (" + e.getMessage() + "): it may need a rewind to follow "
                        + detach.candidate());
            }
        }
        if (furthest >= 0) {
            String candidate = detaches.get(0).candidate();
            ownership.guard(held, "wait for " + candidate + " to receive " + furthest);
            try {
                engine.awaitReceived(targets.target(topology, candidate), furthest,
                        ownership.deadline(held, config.switchoverCatchUpTimeout()));
            } catch (Ownership.Lapsed e) {
                throw e;
            } catch (RuntimeException e) {
                throw new Failed(e.getMessage(), e);
            }
            said.add(candidate + " received all they did (up to position " + furthest + ") after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
        }
        return String.join("; ", said);
    }

    /** The undo of {@link #detach}, before the old leader is opened again: they receive from it again. */
    void reattach(ClusterState state, Claim held, TopologyChanged topology, List<Plan.Detach> detaches) {
        for (Plan.Detach detach : detaches) {
            repoint(state, held, topology, new Plan.Repoint(detach.node(), detach.leader()));
        }
    }

    /**
     * Asks again, each time after a fresh check, until the promotion completed or the action timeout ran
     * out: a standby waiting to retry its dead leader notices a promote request only after
     * {@code wal_retrieve_retry_interval} (5 s by default, measured here on PostgreSQL 15) - longer than
     * one lease. Asking again while a promotion is pending is harmless.
     */
    void promote(Claim held, TopologyChanged topology, Plan.Promote promote) {
        NodeTarget target = targets.target(topology, promote.node());
        long deadline = System.nanoTime() + config.actionTimeout().toNanos();
        while (true) {
            ownership.guard(held, "promote " + promote.node());
            try {
                engine.promote(target, ownership.deadline(held, Duration.ofNanos(Math.max(1,
                        deadline - System.nanoTime()))));
                return;
            } catch (Ownership.Lapsed e) {
                throw e;
            } catch (RuntimeException e) {
                if (System.nanoTime() >= deadline) {
                    throw new Failed(e.getMessage(), e);
                }
                LOG.infof("cluster %s: promoting %s not done yet (%s); asking again", topology.clusterId(),
                        promote.node(), e.getMessage());
                pause(Duration.ofMillis(200));
            }
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failed("interrupted", e);
        }
    }

    void open(Claim held, TopologyChanged topology, Plan.Open open) {
        ownership.guard(held, "unfence " + open.node());
        try {
            engine.unfence(targets.target(topology, open.node()), open.standbys(), open.k(),
                    ownership.deadline(held, config.actionTimeout()));
        } catch (Ownership.Lapsed e) {
            throw e;
        } catch (RuntimeException e) {
            throw new Failed("opening " + open.node() + " for writes failed: " + e.getMessage(), e);
        }
    }

    /** A switchover that could not complete: its old leader (fenced by it) takes writes again. */
    void reopen(Claim held, TopologyChanged topology, String leader) {
        Plan.Open open = Planner.reopen(topology, leader).stepsOf(Plan.Open.class).get(0);
        open(held, topology, open);
    }

    String repoint(ClusterState state, Claim held, TopologyChanged topology, Plan.Repoint repoint) {
        ownership.guard(held, "re-point " + repoint.node() + " to " + repoint.leader());
        try {
            engine.follow(targets.target(topology, repoint.node()), targets.target(topology, repoint.leader()),
                    ownership.deadline(held, config.actionTimeout()));
            return repoint.node() + " follows " + repoint.leader();
        } catch (Ownership.Lapsed e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.warnf("cluster %s: could not re-point %s to %s: %s", state.clusterId(), repoint.node(),
                    repoint.leader(), e.getMessage());
            return repoint.node() + " not re-pointed (" + e.getMessage() + ")";
        }
    }
}
