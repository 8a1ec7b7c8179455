package io.regent.failover.decision;

import io.regent.engines.EngineCapabilities;
import io.regent.engines.ReplicatedHistory;
import io.regent.events.Engine;
import io.regent.events.FailoverRequested;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.OperationKind;
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

/**
 * The failover rules of DESIGN.md as one pure function: no I/O, the clock passed in, and a reason
 * a person can read on every outcome. The order of the checks is part of the contract: first what
 * forbids acting at all (maintenance, a running operation, blindness), then fencing of a stale
 * leader, then the quorum verdict on the leader, then the election.
 */
public final class Decider {

    /** A node tagged like this is never promoted (the per-node counterpart of cluster maintenance). */
    public static final String NO_FAILOVER_TAG = "nofailover";

    private Decider() {
    }

    /**
     * Why nothing may be done to this cluster's nodes, or null when its engine has the actions (see
     * {@link EngineCapabilities}): an engine without them, or a synchronous mode it cannot keep after a
     * failover, is observed only.
     */
    private static String withoutActions(ClusterSnapshot snapshot) {
        Engine engine = snapshot.topology().engine();
        EngineCapabilities can = EngineCapabilities.of(engine);
        if (!can.failoverActions()) {
            return "cluster " + snapshot.clusterId() + " runs " + engine
                    + ": this version of Regent observes it but has no failover actions for it yet";
        }
        if (snapshot.topology().replication().mode() == ReplicationMode.SYNC_ANY
                && snapshot.topology().replication().syncCount() > can.synchronousReplicas()) {
            String most = can.synchronousReplicas() == 0 ? "asynchronous only" : "at most ANY " + can.synchronousReplicas();
            return "cluster " + snapshot.clusterId() + " runs " + engine + " with synchronous replication (ANY "
                    + snapshot.topology().replication().syncCount() + "), which this version of Regent cannot keep "
                    + "for " + engine + " after a failover (" + most + "): it observes the cluster only; register it "
                    + "within that";
        }
        return null;
    }

    /** The automatic decision for a cluster at {@code now}. */
    public static Decision decide(ClusterSnapshot snapshot, Instant now) {
        String cluster = snapshot.clusterId();
        if (snapshot.topology().maintenance()) {
            return new NoAction("cluster " + cluster + " is in maintenance: Regent takes no automatic action");
        }
        if (withoutActions(snapshot) != null) {
            return new NoAction(withoutActions(snapshot));
        }
        if (snapshot.runningOperation() != null) {
            return new Wait("operation " + snapshot.runningOperation() + " of cluster " + cluster
                    + " is still running; nothing else starts until it finishes");
        }
        if (freshAgents(snapshot, now).isEmpty()) {
            return new NoAction("blind: no agent reported on cluster " + cluster + " in the last "
                    + seconds(snapshot.policy().observationMaxAge()) + " (Kafka or the agents are down); that is "
                    + "not evidence of a failure, so nothing is promoted or fenced");
        }
        Optional<Decision> fence = staleLeader(snapshot, now);
        if (fence.isPresent()) {
            return fence.get();
        }
        String leader = snapshot.topology().leader();
        if (leader == null) {
            return new NoAction("cluster " + cluster + " has no leader at epoch " + snapshot.epoch()
                    + "; a manual failover naming a candidate is needed");
        }
        LeaderVerdict verdict = leaderVerdict(snapshot, leader, now);
        if (verdict.notDown() != null) {
            return verdict.notDown();
        }
        if (!snapshot.policy().automatic()) {
            return new NoAction(verdict.evidence() + ", but automatic failover is off for cluster " + cluster
                    + "; request a failover to act");
        }
        Instant last = snapshot.lastFailoverAt();
        if (last != null && now.isBefore(last.plus(snapshot.policy().minFailoverInterval()))) {
            return new Wait(verdict.evidence() + ", but the previous failover finished at " + last
                    + " and automatic failovers are at least " + seconds(snapshot.policy().minFailoverInterval())
                    + " apart (anti-flapping); the next is allowed at "
                    + last.plus(snapshot.policy().minFailoverInterval()));
        }
        return elect(snapshot, leader, null, now, verdict.evidence(), false);
    }

    /**
     * Whether a replaced leader (registry role NEEDS_REJOIN) should be made a follower now, by the
     * agent running next to it. Asked only when {@link #decide} found nothing to do, so healing never
     * delays a failover; it needs a healthy writable leader to rewind from and the node's own agent
     * alive (a fresh observation from it, carrying its endpoint).
     */
    public static Decision decideRejoin(ClusterSnapshot snapshot, Instant now) {
        String cluster = snapshot.clusterId();
        if (snapshot.topology().maintenance()) {
            return new NoAction("cluster " + cluster + " is in maintenance: no node is rejoined");
        }
        if (withoutActions(snapshot) != null) {
            return new NoAction(withoutActions(snapshot));
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
        List<String> waiting = new ArrayList<>(replaced);
        waiting.addAll(down);
        if (waiting.isEmpty()) {
            return new NoAction("no node of cluster " + cluster + " needs a rejoin");
        }
        if (!snapshot.policy().autoRejoin()) {
            return new NoAction(waiting + " need a rejoin, but automatic rejoin is off for cluster " + cluster
                    + "; they stay as they are until an operator rejoins or rebuilds them");
        }
        if (leader == null) {
            return new NoAction(waiting + " need a rejoin, but cluster " + cluster + " has no leader to follow");
        }
        Optional<NodeObserved> leaderSeen = freshestReachable(snapshot, leader, now);
        if (leaderSeen.isEmpty() || leaderSeen.get().role() != NodeRole.LEADER
                || Boolean.TRUE.equals(leaderSeen.get().readOnly())) {
            return new Wait(waiting + " need a rejoin, but leader " + leader + " is not seen as a healthy writable "
                    + "leader in the last " + seconds(snapshot.policy().observationMaxAge()) + "; a rewind needs it");
        }
        boolean remote = EngineCapabilities.of(snapshot.topology().engine()).rejoinsRemotely();
        for (String node : waiting) {
            if (remote) { // over SQL from here; no node agent acts on such an engine's nodes
                if (replaced.contains(node) && freshestReachable(snapshot, node, now).isPresent()) {
                    return new Decision.Rejoin(node, OperationKind.REJOIN, null, snapshot.epoch(), node + " was "
                            + "replaced as leader and needs a rejoin; it answers and leader " + leader + " is healthy: "
                            + "check it for transactions " + leader + " lacks, then make it follow " + leader);
                }
                continue;
            }
            Optional<String> endpoint = snapshot.freshSightingsOf(node, now).stream().map(Sighting::latest)
                    .filter(o -> o.agentEndpoint() != null).max(Comparator.comparing(NodeObserved::observedAt))
                    .map(NodeObserved::agentEndpoint);
            if (endpoint.isEmpty()) {
                continue;
            }
            String agent = "its agent (" + endpoint.get() + ") is up and leader " + leader + " is healthy";
            if (replaced.contains(node)) {
                return new Decision.Rejoin(node, OperationKind.REJOIN, endpoint.get(), snapshot.epoch(), node
                        + " was replaced as leader and needs a rejoin; " + agent + ": rewind it into a follower of "
                        + leader);
            }
            boolean neverSeenRunning = snapshot.sightingsOf(node).stream().allMatch(s -> s.lastHealthy() == null);
            if (neverSeenRunning) {
                return new Decision.Rejoin(node, OperationKind.BOOTSTRAP, endpoint.get(), snapshot.epoch(), node
                        + " has never been seen running (a new node?); " + agent + ": build it from a base backup of "
                        + leader);
            }
            return new Decision.Rejoin(node, OperationKind.REJOIN, endpoint.get(), snapshot.epoch(), node
                    + " is a follower no agent has reached for at least "
                    + seconds(snapshot.policy().followerRepairAfter()) + "; " + agent + ": start it again, rewinding "
                    + "or rebuilding it from " + leader + " if needed");
        }
        if (remote) {
            return new Wait(waiting + " need a rejoin, but none is reachable in the last "
                    + seconds(snapshot.policy().observationMaxAge()) + "; a replaced leader rejoins once it answers, "
                    + "a follower that is down must be started again by its operator");
        }
        return new Wait(waiting + " need a rejoin, but no agent running next to them (node mode) reported in the last "
                + seconds(snapshot.policy().observationMaxAge()) + "; they stay as they are until one does");
    }

    /** Every fresh sighting of {@code node} has failed to reach it, each for at least {@code atLeast}. */
    private static boolean downFor(ClusterSnapshot snapshot, String node, Instant now, Duration atLeast) {
        List<Sighting> fresh = snapshot.freshSightingsOf(node, now);
        return !fresh.isEmpty() && fresh.stream().allMatch(s -> !s.reachable() && s.downSince() != null
                && !s.downSince().isAfter(now.minus(atLeast)));
    }

    /**
     * The decision for an operator's {@link FailoverRequested}: the leader is declared lost, so the
     * detection window and the automatic flag do not apply, but the epoch check, the candidate
     * rules and the RPO-zero rule do.
     */
    public static Decision decideRequested(ClusterSnapshot snapshot, FailoverRequested request, Instant now) {
        String leader = snapshot.topology().leader();
        long epoch = snapshot.epoch();
        if (request.expectedEpoch() != null && request.expectedEpoch() != epoch) {
            return new Refuse(leader, epoch, "requested for epoch " + request.expectedEpoch() + " but cluster "
                    + snapshot.clusterId() + " is at epoch " + epoch + " (leader " + leader
                    + "): the topology changed since; look again and re-request");
        }
        if (withoutActions(snapshot) != null) {
            return new Refuse(leader, epoch, withoutActions(snapshot));
        }
        if (snapshot.runningOperation() != null) {
            return new Refuse(leader, epoch, "operation " + snapshot.runningOperation() + " of cluster "
                    + snapshot.clusterId() + " is still running; request again when it has finished");
        }
        String why = "failover requested by " + request.requestedBy()
                + (request.reason() == null || request.reason().isBlank() ? "" : " (" + request.reason() + ")");
        return elect(snapshot, leader, request.candidate(), now, why, false);
    }

    /**
     * The decision for a planned {@link SwitchoverRequested}: the leader must be healthy (a dead one
     * needs a failover), the epoch and leader must be the ones the requester saw, and the target
     * must pass the candidate rules. RPO zero holds by construction: the executor waits until the
     * target has replayed everything the fenced leader acknowledged.
     */
    public static Decision decideSwitchover(ClusterSnapshot snapshot, SwitchoverRequested request, Instant now) {
        String leader = snapshot.topology().leader();
        long epoch = snapshot.epoch();
        if (request.expectedEpoch() != null && request.expectedEpoch() != epoch) {
            return new Refuse(leader, epoch, "switchover requested for epoch " + request.expectedEpoch()
                    + " but cluster " + snapshot.clusterId() + " is at epoch " + epoch + " (leader " + leader
                    + "): the topology changed since; look again and re-request");
        }
        if (request.expectedLeader() != null && !request.expectedLeader().equals(leader)) {
            return new Refuse(leader, epoch, "switchover requested from " + request.expectedLeader() + " but the "
                    + "leader of cluster " + snapshot.clusterId() + " is " + leader);
        }
        if (withoutActions(snapshot) != null) {
            return new Refuse(leader, epoch, withoutActions(snapshot));
        }
        if (snapshot.runningOperation() != null) {
            return new Refuse(leader, epoch, "operation " + snapshot.runningOperation() + " of cluster "
                    + snapshot.clusterId() + " is still running; request again when it has finished");
        }
        if (leader == null) {
            return new Refuse(null, epoch, "cluster " + snapshot.clusterId() + " has no leader to hand over from; "
                    + "request a failover naming a candidate");
        }
        Optional<NodeObserved> leaderView = freshestReachable(snapshot, leader, now);
        if (leaderView.isEmpty() || leaderView.get().role() != NodeRole.LEADER) {
            return new Refuse(leader, epoch, "leader " + leader + " is not seen healthy by any agent in the last "
                    + seconds(snapshot.policy().observationMaxAge()) + "; a switchover needs a live leader - "
                    + "request a failover instead");
        }
        String why = "switchover requested by " + request.requestedBy()
                + (request.reason() == null || request.reason().isBlank() ? "" : " (" + request.reason() + ")");
        Decision elected = elect(snapshot, leader, request.candidate(), now, why, true);
        if (elected instanceof Failover f) {
            return new Switchover(leader, f.candidate(), epoch, f.reason().replace("; promoting ", "; handing over to "));
        }
        return elected;
    }

    /**
     * Candidate order of invariant 4, best first: most received, then replayed, then priority, then
     * name. It ranks by one number; {@link #elect} then takes the first candidate whose history holds
     * every other candidate's ({@link ReplicatedHistory#lacking}) - the same one for PostgreSQL's
     * single WAL stream, not always for a GTID engine's sets.
     */
    public static final Comparator<Candidate> CANDIDATE_ORDER = Comparator
            .comparingLong(Candidate::receivedLsn).reversed()
            .thenComparing(Comparator.comparingLong(Candidate::replayedLsn).reversed())
            .thenComparing(Comparator.comparingInt((Candidate c) -> c.node().priority()).reversed())
            .thenComparing(c -> c.node().name());

    /** A follower that passed every exclusion, with what its freshest successful probe said. */
    public record Candidate(TopologyNode node, NodeObserved view, long lagBytes) {
        long receivedLsn() {
            return orZero(view.receivedLsn() != null ? view.receivedLsn() : view.replayedLsn());
        }

        long replayedLsn() {
            return orZero(view.replayedLsn());
        }
    }

    /** @param planned a switchover: the target catches up before promotion, so the RPO-zero arithmetic does not apply */
    private static Decision elect(ClusterSnapshot snapshot, String leader, String requested, Instant now,
            String evidence, boolean planned) {
        long epoch = snapshot.epoch();
        Engine engine = snapshot.topology().engine();
        String unit = EngineCapabilities.of(engine).positionUnit();
        Long leaderLsn = lastKnownPosition(snapshot, leader);
        NodeObserved leaderLastSeen = lastHealthyView(snapshot, leader);
        List<Candidate> candidates = new ArrayList<>();
        List<String> excluded = new ArrayList<>();
        List<NodeObserved> reachableFollowers = new ArrayList<>();
        for (TopologyNode node : snapshot.topology().nodes()) {
            if (node.name().equals(leader)) {
                continue;
            }
            Optional<NodeObserved> view = freshestReachable(snapshot, node.name(), now);
            if (view.isPresent() && view.get().role() == NodeRole.FOLLOWER && node.role() == NodeRole.FOLLOWER) {
                reachableFollowers.add(view.get());
            }
            String exclusion = exclusion(snapshot, node, view, leaderLsn, leaderLastSeen, leader, now);
            if (exclusion != null) {
                excluded.add(node.name() + ": " + exclusion);
                continue;
            }
            long lag = leaderLsn == null ? 0 : Math.max(0, leaderLsn - orZero(view.get().receivedLsn()));
            candidates.add(new Candidate(node, view.get(), lag));
        }
        candidates.sort(CANDIDATE_ORDER);
        String exclusions = excluded.isEmpty() ? "" : "; excluded " + String.join(", ", excluded);

        Optional<String> rpo = planned ? Optional.empty() : rpoZeroViolation(snapshot, reachableFollowers);
        if (rpo.isPresent()) {
            return new Refuse(leader, epoch, evidence + "; refusing to fail over: " + rpo.get() + exclusions);
        }
        Candidate chosen;
        if (requested != null) {
            if (snapshot.node(requested).isEmpty()) {
                return new Refuse(leader, epoch, evidence + "; '" + requested + "' is not a node of cluster "
                        + snapshot.clusterId());
            }
            Optional<Candidate> match = candidates.stream().filter(c -> c.node().name().equals(requested))
                    .findFirst();
            if (match.isEmpty()) {
                String why = excluded.stream().filter(e -> e.startsWith(requested + ": ")).findFirst()
                        .orElse(requested + ": it is the current leader");
                return new Refuse(leader, epoch, evidence + "; the requested candidate cannot be promoted: " + why);
            }
            chosen = match.get();
        } else if (candidates.isEmpty()) {
            return new Refuse(leader, epoch, evidence + "; no follower can be promoted" + exclusions);
        } else {
            List<NodeObserved> views = candidates.stream().map(Candidate::view).toList();
            Optional<Candidate> holdingAll = candidates.stream()
                    .filter(c -> lacks(engine, c.view(), views).isEmpty()).findFirst();
            if (holdingAll.isEmpty()) {
                String diverged = candidates.stream().map(c -> c.node().name() + " lacks "
                        + describe(lacks(engine, c.view(), views))).collect(Collectors.joining(", "));
                return new Refuse(leader, epoch, evidence + "; the candidates have diverged - none holds every "
                        + "transaction the others hold (" + diverged + "): promoting any would silently drop some; "
                        + "resolve the divergence, or exclude a node (priority 0 or tag '" + NO_FAILOVER_TAG
                        + "') and let Regent fail over to the rest" + exclusions);
            }
            chosen = holdingAll.get();
        }
        if (!planned && snapshot.topology().replication().mode() == ReplicationMode.SYNC_ANY) {
            Map<String, List<String>> missing = lacks(engine, chosen.view(), reachableFollowers);
            if (!missing.isEmpty()) {
                return new Refuse(leader, epoch, evidence + "; synchronous cluster: " + chosen.node().name()
                        + " lacks " + describe(missing) + ", which reachable followers hold, so promoting it could "
                        + "lose acknowledged commits" + exclusions);
            }
        }
        String ranking = candidates.stream().map(c -> c.node().name() + " (received " + c.receivedLsn()
                + ", lag " + c.lagBytes() + " " + unit + ", priority " + c.node().priority() + ")")
                .collect(Collectors.joining(" > "));
        return new Failover(leader, chosen.node().name(), epoch, evidence + "; promoting " + chosen.node().name()
                + (requested != null ? " as requested" : " as the best candidate") + ": " + ranking + exclusions);
    }

    /** Per other node, what {@code node} lacks of its history; only the nodes it lacks something of. */
    private static Map<String, List<String>> lacks(Engine engine, NodeObserved node, List<NodeObserved> others) {
        Map<String, List<String>> missing = new TreeMap<>();
        for (NodeObserved other : others) {
            List<String> lacking = other.node().equals(node.node()) ? List.of()
                    : ReplicatedHistory.lacking(engine, node, other);
            if (!lacking.isEmpty()) {
                missing.put(other.node(), lacking);
            }
        }
        return missing;
    }

    /** "0-3-45 (on c), 0-1-46 (on d)". */
    private static String describe(Map<String, List<String>> missing) {
        return missing.entrySet().stream().map(e -> String.join(", ", e.getValue()) + " (on " + e.getKey() + ")")
                .collect(Collectors.joining(", "));
    }

    /** Why {@code node} cannot be promoted, or null when it can. */
    private static String exclusion(ClusterSnapshot snapshot, TopologyNode node, Optional<NodeObserved> view,
            Long leaderLsn, NodeObserved leaderLastSeen, String leader, Instant now) {
        if (node.priority() <= 0) {
            return "priority 0 (never promoted)";
        }
        if (node.tags().contains(NO_FAILOVER_TAG)) {
            return "tagged '" + NO_FAILOVER_TAG + "'";
        }
        if (node.role() != NodeRole.FOLLOWER) {
            return "registry role " + node.role();
        }
        long unreachableBy = snapshot.freshSightingsOf(node.name(), now).stream().filter(s -> !s.reachable())
                .count();
        if (unreachableBy >= snapshot.policy().observerQuorum()) {
            return "unreachable for " + unreachableBy + " agents";
        }
        if (view.isEmpty()) {
            return "no agent reached it in the last " + seconds(snapshot.policy().observationMaxAge());
        }
        if (view.get().role() != NodeRole.FOLLOWER) {
            return "reports role " + view.get().role() + ", not FOLLOWER";
        }
        Engine engine = snapshot.topology().engine();
        if (leaderLsn != null) {
            long lag = leaderLsn - orZero(view.get().receivedLsn());
            if (lag > snapshot.policy().maxLagOnFailoverBytes()) {
                String unit = EngineCapabilities.of(engine).positionUnit();
                return lag + " " + unit + " behind the leader's last known position, above the limit of "
                        + snapshot.policy().maxLagOnFailoverBytes() + " " + unit;
            }
        }
        List<String> errant = ReplicatedHistory.errant(engine, view.get(), leaderLastSeen);
        if (!errant.isEmpty()) {
            return "holds transaction(s) " + errant + " that leader " + leader + " never had (errant writes on it): "
                    + "promoting it would hand them to every node - remove them or rebuild it";
        }
        return null;
    }

    /**
     * Invariant 5: with {@code ANY k} of N standbys, every acknowledged commit is on at least k of
     * them, so only N - k + 1 reachable standbys are sure to include one that has it.
     */
    private static Optional<String> rpoZeroViolation(ClusterSnapshot snapshot, List<NodeObserved> reachable) {
        if (snapshot.topology().replication().mode() == ReplicationMode.SYNC_ANY) {
            int k = snapshot.topology().replication().syncCount();
            long standbys = snapshot.topology().nodes().stream().filter(n -> n.role() == NodeRole.FOLLOWER).count();
            long needed = standbys - k + 1;
            if (reachable.size() < needed) {
                return Optional.of("synchronous ANY " + k + " of " + standbys + " standbys needs " + needed
                        + " reachable to be sure one holds every acknowledged commit, but only " + reachable.size()
                        + " (" + reachable.stream().map(NodeObserved::node).sorted().toList() + ") are reachable");
            }
            return Optional.empty();
        }
        if (snapshot.policy().rpoZeroRequired()) {
            return Optional.of("RPO zero is required but replication is asynchronous, so no follower is sure to "
                    + "hold every acknowledged commit");
        }
        return Optional.empty();
    }

    private record LeaderVerdict(Decision notDown, String evidence) {
    }

    /** Invariant 3: down only by a quorum of distinct agents, for the whole window, with no contrary sign. */
    private static LeaderVerdict leaderVerdict(ClusterSnapshot snapshot, String leader, Instant now) {
        ClusterPolicy policy = snapshot.policy();
        Duration window = policy.detectionWindow();
        Instant windowStart = now.minus(window);
        List<Sighting> fresh = snapshot.freshSightingsOf(leader, now);
        List<Sighting> healthy = fresh.stream().filter(Sighting::reachable).toList();
        List<Sighting> down = fresh.stream().filter(s -> !s.reachable()).toList();
        if (down.isEmpty()) {
            if (healthy.isEmpty()) {
                return new LeaderVerdict(new Wait("no fresh observation of leader " + leader + " yet; agents "
                        + freshAgents(snapshot, now) + " report on other nodes"), null);
            }
            Optional<Decision> stranded = strandedReadOnly(snapshot, leader, healthy, windowStart);
            if (stranded.isPresent()) {
                return new LeaderVerdict(stranded.get(), null);
            }
            return new LeaderVerdict(new NoAction("leader " + leader + " is healthy (reached by "
                    + agents(healthy) + ")"), null);
        }
        // any success inside the window is a contrary sighting, from this agent or another
        Optional<Sighting> seenAlive = snapshot.sightingsOf(leader).stream()
                .filter(s -> s.lastHealthy() != null && s.lastHealthy().observedAt().isAfter(windowStart))
                .max(Comparator.comparing(s -> s.lastHealthy().observedAt()));
        if (seenAlive.isPresent()) {
            return new LeaderVerdict(new Wait("leader " + leader + " unreachable for " + agents(down)
                    + " but " + seenAlive.get().agent() + " reached it at " + seenAlive.get().lastHealthy().observedAt()
                    + ", inside the " + seconds(window) + " detection window"), null);
        }
        List<Sighting> downForWindow = down.stream().filter(s -> !s.downSince().isAfter(windowStart)).toList();
        if (downForWindow.size() < policy.observerQuorum()) {
            String progress = down.stream().map(s -> s.agent() + " for "
                    + Duration.between(s.downSince(), now).toMillis() + " ms").sorted()
                    .collect(Collectors.joining(", "));
            return new LeaderVerdict(new Wait("leader " + leader + " unreachable (" + progress + "); "
                    + downForWindow.size() + " of the " + policy.observerQuorum() + " agents required have seen it "
                    + "down for the whole " + seconds(window) + " detection window"), null);
        }
        Optional<NodeObserved> witness = followerWitness(snapshot, leader, windowStart, now);
        String stream = EngineCapabilities.of(snapshot.topology().engine()).stream();
        if (witness.isPresent()) {
            return new LeaderVerdict(new Wait("leader " + leader + " unreachable for " + agents(downForWindow)
                    + " but follower " + witness.get().node() + " received " + stream + " from it at "
                    + witness.get().walReceiver().lastMessageReceivedAt() + ", inside the " + seconds(window)
                    + " detection window: it is alive, the agents are cut off"), null);
        }
        String errors = downForWindow.stream().map(s -> s.latest().error() == null ? "?"
                : s.latest().error().kind().name()).distinct().sorted().collect(Collectors.joining("/"));
        return new LeaderVerdict(null, "leader " + leader + " down: unreachable (" + errors + ") for "
                + agents(downForWindow) + " for at least " + seconds(window) + ", no agent reached it and no "
                + "follower received " + stream + " from it since " + windowStart);
    }

    /**
     * Invariant 11: the registry's leader answers as a leader but takes no writes, and has for the whole
     * window by some agent's account while none saw it writable - a leader change that failed after its
     * fence left it so (no operation runs, or {@link #decide} would have waited). Reading {@code
     * readOnlySince} over the window keeps a probe taken in the moment between a promotion and its unfence
     * from counting.
     */
    private static Optional<Decision> strandedReadOnly(ClusterSnapshot snapshot, String leader,
            List<Sighting> healthy, Instant windowStart) {
        boolean writable = healthy.stream().anyMatch(s -> s.latest().role() == NodeRole.LEADER
                && !Boolean.TRUE.equals(s.latest().readOnly()));
        Optional<Sighting> readOnly = healthy.stream().filter(s -> s.readOnlySince() != null
                && !s.readOnlySince().isAfter(windowStart)).min(Comparator.comparing(Sighting::readOnlySince));
        if (writable || readOnly.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Decision.Unfence(leader, snapshot.epoch(), "leader " + leader + " answers but has "
                + "taken no writes since " + readOnly.get().readOnlySince() + " (seen read-only by "
                + agents(healthy) + ") and no operation runs: a failed step left it fenced; making it writable again "
                + "(epoch " + snapshot.epoch() + ")"));
    }

    /** A follower still hearing from the leader proves it alive, whatever the agents say. */
    private static Optional<NodeObserved> followerWitness(ClusterSnapshot snapshot, String leader,
            Instant windowStart, Instant now) {
        List<NodeObserved> witnesses = new ArrayList<>();
        for (TopologyNode node : snapshot.topology().nodes()) {
            if (node.name().equals(leader)) {
                continue;
            }
            for (Sighting s : snapshot.freshSightingsOf(node.name(), now)) {
                NodeObserved o = s.latest();
                if (o.reachable() && o.walReceiver() != null && o.walReceiver().lastMessageReceivedAt() != null
                        && o.walReceiver().lastMessageReceivedAt().isAfter(windowStart)) {
                    witnesses.add(o);
                }
            }
        }
        return witnesses.stream().max(Comparator.comparing(o -> o.walReceiver().lastMessageReceivedAt()));
    }

    /** Invariant 6: a node that accepts writes while another is the leader of the epoch. */
    private static Optional<Decision> staleLeader(ClusterSnapshot snapshot, Instant now) {
        String leader = snapshot.topology().leader();
        if (leader == null) {
            return Optional.empty();
        }
        for (TopologyNode node : snapshot.topology().nodes()) {
            if (node.name().equals(leader)) {
                continue;
            }
            for (Sighting s : snapshot.freshSightingsOf(node.name(), now)) {
                NodeObserved o = s.latest();
                if (o.reachable() && o.role() == NodeRole.LEADER && !Boolean.TRUE.equals(o.readOnly())) {
                    return Optional.of(new Fence(node.name(), snapshot.epoch(), "node " + node.name()
                            + " accepts writes as a leader (seen by " + o.observerId() + " at " + o.observedAt()
                            + (o.timeline() == null ? "" : ", timeline " + o.timeline()) + ") but the leader of epoch "
                            + snapshot.epoch() + " is " + leader + ": fencing it so it cannot acknowledge writes"));
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<NodeObserved> freshestReachable(ClusterSnapshot snapshot, String node, Instant now) {
        return snapshot.freshSightingsOf(node, now).stream().filter(Sighting::reachable).map(Sighting::latest)
                .max(Comparator.comparing(NodeObserved::observedAt));
    }

    /** The leader's newest successful probe, by any agent; null when none is remembered. */
    private static NodeObserved lastHealthyView(ClusterSnapshot snapshot, String leader) {
        return snapshot.sightingsOf(leader).stream().map(Sighting::lastHealthy).filter(Objects::nonNull)
                .max(Comparator.comparing(NodeObserved::observedAt)).orElse(null);
    }

    /** The leader's WAL position as last seen by any agent, healthy or not now. */
    private static Long lastKnownPosition(ClusterSnapshot snapshot, String leader) {
        return snapshot.sightingsOf(leader).stream().map(Sighting::lastHealthy).filter(Objects::nonNull)
                .map(NodeObserved::currentLsn).filter(Objects::nonNull).max(Long::compare).orElse(null);
    }

    private static TreeSet<String> freshAgents(ClusterSnapshot snapshot, Instant now) {
        TreeSet<String> agents = new TreeSet<>();
        snapshot.sightings().values().forEach(byAgent -> byAgent.values().stream()
                .filter(s -> s.freshAt(now, snapshot.policy())).forEach(s -> agents.add(s.agent())));
        return agents;
    }

    private static String agents(List<Sighting> sightings) {
        return sightings.stream().map(Sighting::agent).sorted().distinct().collect(Collectors.joining(", ", "[", "]"));
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() / 1000.0 + " s";
    }

    private static long orZero(Long value) {
        return value == null ? 0 : value;
    }
}
