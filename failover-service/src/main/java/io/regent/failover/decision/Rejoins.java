package io.regent.failover.decision;

import io.regent.engines.EngineCapabilities;
import io.regent.engines.ReplicatedHistory;
import io.regent.events.Engine;
import io.regent.events.FailoverRequested;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.OperationKind;
import io.regent.events.RejoinRequested;
import io.regent.events.ReplicationMode;
import io.regent.events.SwitchoverRequested;
import io.regent.events.TopologyNode;
import io.regent.failover.decision.Decision.Failover;
import io.regent.failover.decision.Decision.Fence;
import io.regent.failover.decision.Decision.NoAction;
import io.regent.failover.decision.Decision.Refuse;
import io.regent.failover.decision.Decision.Switchover;
import io.regent.failover.decision.Decision.Wait;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** Healing: whether a node should be made a streaming follower again, and by whom. */
final class Rejoins {

    private Rejoins() {
    }

    /**
     * Whether a replaced leader (registry role NEEDS_REJOIN) should be made a follower now, by the
     * agent running next to it. Asked only when {@link #decide} found nothing to do, so healing never
     * delays a failover; it needs a healthy writable leader to rewind from and the node's own agent
     * alive (a fresh observation from it, carrying its endpoint).
     */
    static Decision decide(ClusterSnapshot snapshot, Instant now) {
        String cluster = snapshot.clusterId();
        if (snapshot.topology().maintenance()) {
            return new NoAction("cluster " + cluster + " is in maintenance: no node is rejoined");
        }
        if (Decider.withoutActions(snapshot) != null) {
            return new NoAction(Decider.withoutActions(snapshot));
        }
        if (snapshot.bookkeeping().rejoining()) {
            return new Wait("a rejoin of cluster " + cluster + " is running; one at a time");
        }
        if (snapshot.runningOperation() != null) {
            return new Wait("operation " + snapshot.runningOperation() + " of cluster " + cluster
                    + " is still running; rejoins wait for it");
        }
        String leader = snapshot.topology().leader();
        List<String> replaced = snapshot.topology().nodes().stream().filter(n -> n.role() == NodeRole.NEEDS_REJOIN)
                .map(TopologyNode::name).sorted().toList();
        List<String> down = snapshot.topology().nodes().stream()
                .filter(n -> n.role() == NodeRole.FOLLOWER && !n.name().equals(leader))
                .map(TopologyNode::name).filter(n -> downFor(snapshot, n, now, snapshot.policy().followerRepairAfter()))
                .sorted().toList();
        Map<String, String> astray = new TreeMap<>();
        boolean remote = EngineCapabilities.of(snapshot.topology().engine()).rejoinsRemotely();
        for (TopologyNode n : snapshot.topology().nodes()) {
            if (!remote && n.role() == NodeRole.FOLLOWER && !n.name().equals(leader) && !down.contains(n.name())) {
                String why = astray(snapshot, leader, n.name(), now);
                if (why != null) {
                    astray.put(n.name(), why);
                }
            }
        }
        List<String> waiting = new ArrayList<>(replaced);
        waiting.addAll(down);
        waiting.addAll(astray.keySet());
        if (waiting.isEmpty()) {
            return new NoAction("no node of cluster " + cluster + " needs a rejoin");
        }
        // after the "nothing waits" answer: a pause with nothing waiting is no Wait (nor a line in the log)
        Instant next = snapshot.bookkeeping().nextRejoinAt();
        if (next != null && now.isBefore(next)) {
            return new Wait("the last rejoin of cluster " + cluster + " ended a moment ago; the next may start at "
                    + next);
        }
        if (!snapshot.policy().autoRejoin()) {
            return new NoAction(waiting + " need a rejoin, but automatic rejoin is off for cluster " + cluster
                    + "; they stay as they are until an operator rejoins or rebuilds them");
        }
        if (leader == null) {
            return new NoAction(waiting + " need a rejoin, but cluster " + cluster + " has no leader to follow");
        }
        if (!seenWritable(snapshot, leader, now)) {
            return new Wait(waiting + " need a rejoin, but leader " + leader + " is not seen as a healthy writable "
                    + "leader in the last " + Views.seconds(snapshot.policy().observationMaxAge()) + "; a rewind needs it");
        }
        for (String node : waiting) {
            if (remote) { // over SQL from here; no node agent acts on such an engine's nodes
                if (replaced.contains(node) && Views.freshestReachable(snapshot, node, now).isPresent()) {
                    return new Decision.Rejoin(node, OperationKind.REJOIN, null, snapshot.epoch(), node + " was "
                            + "replaced as leader and needs a rejoin; it answers and leader " + leader + " is healthy: "
                            + "check it for transactions " + leader + " lacks, then make it follow " + leader);
                }
                continue;
            }
            Optional<String> endpoint = agentEndpoint(snapshot, node, now);
            if (endpoint.isEmpty()) {
                continue;
            }
            String agent = "its agent (" + endpoint.get() + ") is up and leader " + leader + " is healthy";
            if (replaced.contains(node)) {
                return new Decision.Rejoin(node, OperationKind.REJOIN, endpoint.get(), snapshot.epoch(), node
                        + " was replaced as leader and needs a rejoin; " + agent + ": rewind it into a follower of "
                        + leader);
            }
            if (astray.containsKey(node)) {
                return new Decision.Rejoin(node, OperationKind.REJOIN, endpoint.get(), snapshot.epoch(), node + " "
                        + astray.get(node) + "; " + agent + ": rewind it into a follower of " + leader);
            }
            boolean neverSeenRunning = snapshot.sightingsOf(node).stream().allMatch(s -> s.lastHealthy() == null);
            if (neverSeenRunning) {
                return new Decision.Rejoin(node, OperationKind.BOOTSTRAP, endpoint.get(), snapshot.epoch(), node
                        + " has never been seen running (a new node?); " + agent + ": build it from a base backup of "
                        + leader);
            }
            return new Decision.Rejoin(node, OperationKind.REJOIN, endpoint.get(), snapshot.epoch(), node
                    + " is a follower no agent has reached for at least "
                    + Views.seconds(snapshot.policy().followerRepairAfter()) + "; " + agent + ": start it again, rewinding "
                    + "or rebuilding it from " + leader + " if needed");
        }
        if (remote) {
            return new Wait(waiting + " need a rejoin, but none is reachable in the last "
                    + Views.seconds(snapshot.policy().observationMaxAge()) + "; a replaced leader rejoins once it answers, "
                    + "a follower that is down must be started again by its operator");
        }
        return new Wait(waiting + " need a rejoin, but no agent running next to them (node mode) reported in the last "
                + Views.seconds(snapshot.policy().observationMaxAge()) + "; they stay as they are until one does");
    }

    /**
     * The decision for an operator's {@link RejoinRequested}: what an automatic rejoin needs - a healthy writable
     * leader to copy from, and for PostgreSQL the node's own agent alive (a fresh observation carrying its
     * endpoint) - minus what only holds the automatic one back (the policy's {@code autoRejoin}, the repair delay,
     * maintenance: a person asks). Never the leader, never beside a running leader change or another rejoin, and
     * only at the epoch the requester saw. MariaDB rejoins from here over SQL; a MariaDB rebuild is refused (no
     * agent of this version copies a MariaDB node).
     */
    static Decision requested(ClusterSnapshot snapshot, RejoinRequested request, Instant now) {
        String cluster = snapshot.clusterId();
        String node = request.node();
        String leader = snapshot.topology().leader();
        long epoch = snapshot.epoch();
        String what = (request.rebuild() ? "rebuild" : "rejoin") + " of " + node + " requested by "
                + request.requestedBy() + (request.reason() == null || request.reason().isBlank() ? ""
                        : " (" + request.reason() + ")");
        if (request.expectedEpoch() != null && request.expectedEpoch() != epoch) {
            return new Refuse(node, epoch, what + " for epoch " + request.expectedEpoch() + " but cluster " + cluster
                    + " is at epoch " + epoch + " (leader " + leader + "): the topology changed since; look again "
                    + "and re-request");
        }
        if (Decider.withoutActions(snapshot) != null) {
            return new Refuse(node, epoch, Decider.withoutActions(snapshot));
        }
        if (snapshot.topology().nodes().stream().noneMatch(n -> n.name().equals(node))) {
            return new Refuse(node, epoch, "'" + node + "' is not a node of cluster " + cluster);
        }
        if (node.equals(leader)) {
            return new Refuse(node, epoch, what + ", but " + node + " is the leader of cluster " + cluster
                    + " at epoch " + epoch + "; switch over first");
        }
        if (snapshot.runningOperation() != null) {
            return new Refuse(node, epoch, "operation " + snapshot.runningOperation() + " of cluster " + cluster
                    + " is still running; request again when it has finished");
        }
        if (snapshot.bookkeeping().rejoining()) {
            return new Refuse(node, epoch, "a rejoin of cluster " + cluster + " is running; one at a time: request "
                    + "again when it has finished");
        }
        if (leader == null) {
            return new Refuse(node, epoch, what + ", but cluster " + cluster + " has no leader to follow");
        }
        if (!seenWritable(snapshot, leader, now)) {
            return new Refuse(node, epoch, what + ", but leader " + leader + " is not seen as a healthy writable "
                    + "leader in the last " + Views.seconds(snapshot.policy().observationMaxAge()) + "; "
                    + (request.rebuild() ? "a copy" : "a rewind") + " needs it");
        }
        if (EngineCapabilities.of(snapshot.topology().engine()).rejoinsRemotely()) {
            if (request.rebuild()) {
                return new Refuse(node, epoch, what + ", but " + snapshot.topology().engine() + " nodes have no agent "
                        + "that copies them in this version; restore " + node + " from a backup of " + leader
                        + ", then request a rejoin");
            }
            if (Views.freshestReachable(snapshot, node, now).isEmpty()) {
                return new Refuse(node, epoch, what + ", but no agent reached " + node + " in the last "
                        + Views.seconds(snapshot.policy().observationMaxAge()) + "; start it, then request again");
            }
            return new Decision.Rejoin(node, OperationKind.REJOIN, null, epoch, what + "; it answers and leader "
                    + leader + " is healthy: check it for transactions " + leader + " lacks, then make it follow "
                    + leader);
        }
        Optional<String> endpoint = agentEndpoint(snapshot, node, now);
        if (endpoint.isEmpty()) {
            return new Refuse(node, epoch, what + ", but no agent running next to " + node + " (node mode) reported "
                    + "in the last " + Views.seconds(snapshot.policy().observationMaxAge()) + "; start it, then "
                    + "request again");
        }
        return new Decision.Rejoin(node, request.kind(), endpoint.get(), epoch, what + "; its agent ("
                + endpoint.get() + ") is up and leader " + leader + " is healthy: " + (request.rebuild()
                        ? "replace its data with a base backup of " + leader
                        : "rewind it into a follower of " + leader + " (a base backup if a rewind is impossible)"));
    }

    /** Whether an agent saw {@code leader} lately as a writable leader: a rewind or a copy needs one. */
    private static boolean seenWritable(ClusterSnapshot snapshot, String leader, Instant now) {
        Optional<NodeObserved> seen = Views.freshestReachable(snapshot, leader, now);
        return seen.isPresent() && seen.get().role() == NodeRole.LEADER && !Boolean.TRUE.equals(seen.get().readOnly());
    }

    /** The endpoint of the agent running next to {@code node} (node mode), from its newest fresh observation. */
    private static Optional<String> agentEndpoint(ClusterSnapshot snapshot, String node, Instant now) {
        return snapshot.freshSightingsOf(node, now).stream().map(Sighting::latest)
                .filter(o -> o.agentEndpoint() != null).max(Comparator.comparing(NodeObserved::observedAt))
                .map(NodeObserved::agentEndpoint);
    }

    /**
     * Why a registry follower is not a follower of the leader - every agent that reaches it has seen it, for
     * at least {@code followerRepairAfter}, streaming from another node, on another timeline, or from no
     * one: a re-point that failed and was never retried - or null when it follows the leader, or the agents
     * cannot tell.
     */
    static String astray(ClusterSnapshot snapshot, String leader, String node, Instant now) {
        List<Sighting> seen = snapshot.freshSightingsOf(node, now).stream().filter(Sighting::reachable)
                .filter(s -> s.upstreamSince() != null).toList();
        if (leader == null || seen.isEmpty()) {
            return null;
        }
        Instant since = now.minus(snapshot.policy().followerRepairAfter());
        String why = null;
        for (Sighting s : seen) {
            boolean connected = !Sighting.upstream(s.latest()).isEmpty();
            String mismatch = connected ? Upstream.mismatch(snapshot, leader, s.latest()) : "streams from no one";
            if (mismatch == null || s.local(s.upstreamSince()).isAfter(since)) {
                return null;
            }
            why = mismatch;
        }
        return why + ", for at least " + Views.seconds(snapshot.policy().followerRepairAfter());
    }

    /** Every fresh sighting of {@code node} has failed to reach it, each for at least {@code atLeast}. */
    static boolean downFor(ClusterSnapshot snapshot, String node, Instant now, Duration atLeast) {
        List<Sighting> fresh = snapshot.freshSightingsOf(node, now);
        return !fresh.isEmpty() && fresh.stream().allMatch(s -> !s.reachable() && s.downSince() != null
                && !s.localDownSince().isAfter(now.minus(atLeast)));
    }
}
