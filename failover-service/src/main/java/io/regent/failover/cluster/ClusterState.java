package io.regent.failover.cluster;

import io.regent.events.NodeObserved;
import io.regent.events.TopologyChanged;
import io.regent.failover.decision.Bookkeeping;
import io.regent.failover.decision.ClusterPolicy;
import io.regent.failover.decision.ClusterSnapshot;
import io.regent.failover.decision.Decision;
import io.regent.failover.decision.Sighting;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What this instance knows about one cluster it owns: the registry's topology and policy, every
 * agent's sighting of every node, and its own bookkeeping (an action in flight, the last failover,
 * refusals already recorded). Updated from the consumer thread and from executions, so every
 * method is synchronized; decide() gets an immutable {@link ClusterSnapshot}.
 */
public final class ClusterState {

    private final String clusterId;
    private TopologyChanged topology;
    private ClusterPolicy policy;
    /** node → agent → sighting; inner maps are replaced, never mutated, so snapshots can share them. */
    private final Map<String, Map<String, Sighting>> sightings = new HashMap<>();
    private Instant lastFailoverAt;
    private UUID runningOperation;
    private boolean busy;
    private long refusedAtEpoch = -1;
    private final Map<String, Instant> fencedAt = new HashMap<>();
    private final LoggedDecisions decisions = new LoggedDecisions();
    private final LoggedDecisions rejoinDecisions = new LoggedDecisions();
    private boolean released;
    private Instant maintenanceUntil;
    private Instant quietUntil = Instant.MIN;
    /** A rejoin runs beside the decisions (it may take minutes); failovers do not wait for it. */
    private boolean rejoining;
    private Instant nextRejoinAt;
    /** This instance's claim on the running operation, kept while it owns the cluster: renewed, not re-taken. */
    private Claim held;
    private Instant unfencedAt;

    public ClusterState(String clusterId) {
        this.clusterId = clusterId;
    }

    public String clusterId() {
        return clusterId;
    }

    /** An agent's observation, received by this instance at {@code receivedAt} (its own clock). */
    public synchronized void record(NodeObserved observed, Instant receivedAt) {
        Map<String, Sighting> byAgent = sightings.getOrDefault(observed.node(), Map.of());
        Sighting previous = byAgent.get(observed.observerId());
        Sighting next = previous == null ? Sighting.first(observed, receivedAt) : previous.then(observed, receivedAt);
        if (next != previous) {
            Map<String, Sighting> copy = new HashMap<>(byAgent);
            copy.put(observed.observerId(), next);
            sightings.put(observed.node(), Map.copyOf(copy));
        }
    }

    /** Null until the registry has been read. */
    public synchronized ClusterSnapshot snapshot() {
        if (topology == null || policy == null) {
            return null;
        }
        return new ClusterSnapshot(topology, policy, sightings, lastFailoverAt, runningOperation, new Bookkeeping(
                maintenanceUntil, refusedAtEpoch, fencedAt, unfencedAt, rejoining, nextRejoinAt));
    }

    public synchronized TopologyChanged topology() {
        return topology;
    }

    /** A newer snapshot replaces the current one; an older one (a late or replayed Kafka record) is ignored. */
    public synchronized void topology(TopologyChanged next) {
        if (next.supersedes(topology)) {
            topology = next;
        }
    }

    public synchronized void policy(ClusterPolicy next) {
        policy = next;
    }

    public synchronized boolean loaded() {
        return topology != null && policy != null;
    }

    public synchronized void lastFailoverAt(Instant at) {
        if (at != null && (lastFailoverAt == null || at.isAfter(lastFailoverAt))) {
            lastFailoverAt = at;
        }
    }

    public synchronized void runningOperation(UUID operation) {
        runningOperation = operation;
    }

    public synchronized UUID runningOperation() {
        return runningOperation;
    }

    /** When a maintenance window switched on by command ends by itself; null when it does not. */
    public synchronized Instant maintenanceUntil() {
        return maintenanceUntil;
    }

    public synchronized void maintenanceUntil(Instant until) {
        maintenanceUntil = until;
    }

    /** After a failed execution (registry or a node unreachable), the next attempt waits a little. */
    public synchronized void backOff(Instant until) {
        quietUntil = until;
    }

    public synchronized boolean backingOff(Instant now) {
        return now.isBefore(quietUntil);
    }

    /** A rejoin starts (the rules allowed it: see {@link Bookkeeping}). */
    public synchronized void rejoinStarted() {
        rejoining = true;
    }

    /** The rejoin ended; the next may start at {@code next}. */
    public synchronized void rejoinEnded(Instant next) {
        rejoining = false;
        nextRejoinAt = next;
    }

    /** Claims the cluster for one execution; false when one is already in flight or the cluster was handed over. */
    public synchronized boolean tryBusy() {
        if (busy || released) {
            return false;
        }
        busy = true;
        return true;
    }

    public synchronized void idle() {
        busy = false;
    }

    /** Whether an execution (a load, a command, a leader change) is in flight. */
    public synchronized boolean busy() {
        return busy;
    }

    /** Another instance owns the cluster now: executions stop at their next step. */
    public synchronized void release() {
        released = true;
    }

    public synchronized boolean released() {
        return released;
    }

    /** A refusal of the epoch's failover was recorded: not again for this epoch. */
    public synchronized void refused(long epoch) {
        refusedAtEpoch = epoch;
    }

    public synchronized void fenced(String node, Instant at) {
        fencedAt.put(node, at);
    }

    /** This instance's claim on {@code operationId}, or null when it holds none (a new claim must wait out any other). */
    public synchronized Claim held(UUID operationId) {
        return held != null && held.operationId().equals(operationId) ? held : null;
    }

    public synchronized void hold(Claim claim) {
        held = claim;
    }

    /** The leader was made writable again at {@code at}. */
    public synchronized void unfenced(Instant at) {
        unfencedAt = at;
    }

    /**
     * Whether to log this tick's decision: when it is of another kind than the previous one, and a {@code Wait}
     * also every {@code repeatWaitEvery} while it lasts - a failover held back (anti-flapping, a lease, the
     * detection window) must show in the log, not only when it starts.
     */
    public synchronized boolean decisionWorthLogging(Decision decision, Instant now, Duration repeatWaitEvery) {
        return decisions.worthLogging(decision, now, repeatWaitEvery);
    }

    /**
     * The same for the healing decision asked beside it ({@code Rejoins}): a node waiting for a rejoin - a leader
     * not seen writable, no agent next to it, a retry not due - must show in the log, not stay silent for minutes.
     */
    public synchronized boolean rejoinDecisionWorthLogging(Decision decision, Instant now, Duration repeatWaitEvery) {
        return rejoinDecisions.worthLogging(decision, now, repeatWaitEvery);
    }

    /** The kind of the last decision of one sort and when a decision of it was last logged. */
    private static final class LoggedDecisions {

        private Class<? extends Decision> lastKind;
        private Instant loggedAt;

        boolean worthLogging(Decision decision, Instant now, Duration repeatWaitEvery) {
            boolean changed = lastKind != decision.getClass();
            lastKind = decision.getClass();
            boolean repeat = decision instanceof Decision.Wait && loggedAt != null
                    && !now.isBefore(loggedAt.plus(repeatWaitEvery));
            if (changed || repeat) {
                loggedAt = now;
                return true;
            }
            return false;
        }
    }
}
