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

/** Invariant 4: who may be promoted, in which order, and whether the choice is safe (invariant 5). */
public final class Election {

    private Election() {
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
            return Views.orZero(view.receivedLsn() != null ? view.receivedLsn() : view.replayedLsn());
        }

        long replayedLsn() {
            return Views.orZero(view.replayedLsn());
        }
    }

    /** @param planned a switchover: the target catches up before promotion, so the RPO-zero arithmetic does not apply */
    static Decision elect(ClusterSnapshot snapshot, String leader, String requested, Instant now,
            String evidence, boolean planned) {
        return elect(snapshot, leader, requested, now, evidence, planned, false);
    }

    /** @param automatic no person asked: a leader seen waiting for less than the registry says is left to one */
    static Decision elect(ClusterSnapshot snapshot, String leader, String requested, Instant now,
            String evidence, boolean planned, boolean automatic) {
        long epoch = snapshot.epoch();
        Engine engine = snapshot.topology().engine();
        String unit = EngineCapabilities.of(engine).positionUnit();
        Long leaderLsn = Views.lastKnownPosition(snapshot, leader);
        NodeObserved leaderLastSeen = Views.lastHealthyView(snapshot, leader);
        List<Candidate> candidates = new ArrayList<>();
        List<String> excluded = new ArrayList<>();
        List<NodeObserved> reachableFollowers = new ArrayList<>();
        // a position measured before the leader's last answer may miss what it acknowledged after it
        Instant leaderAlive = planned ? null : Views.lastAnswered(snapshot, leader);
        List<String> older = new ArrayList<>();
        for (TopologyNode node : snapshot.topology().nodes()) {
            if (node.name().equals(leader)) {
                continue;
            }
            Optional<Sighting> seen = Views.freshestReachableSighting(snapshot, node.name(), now);
            Optional<NodeObserved> view = seen.map(Sighting::latest);
            if (view.isPresent() && view.get().role() == NodeRole.FOLLOWER && leaderAlive != null
                    && !seen.get().receivedAt().isAfter(leaderAlive)) {
                older.add(node.name() + " (its newest position arrived " + Duration.between(seen.get().receivedAt(),
                        now).toMillis() + " ms ago)");
            }
            if (view.isPresent() && view.get().role() == NodeRole.FOLLOWER) { // whatever its registry role
                reachableFollowers.add(view.get());
            }
            String exclusion = exclusion(snapshot, node, view, leaderLsn, leaderLastSeen, leader, now);
            if (exclusion != null) {
                excluded.add(node.name() + ": " + exclusion);
                continue;
            }
            long lag = leaderLsn == null ? 0 : Math.max(0, leaderLsn - Views.orZero(view.get().receivedLsn()));
            candidates.add(new Candidate(node, view.get(), lag));
        }
        candidates.sort(CANDIDATE_ORDER);
        if (!older.isEmpty()) {
            return new Wait(evidence + "; but leader " + leader + " last answered " + Duration.between(leaderAlive, now)
                    .toMillis() + " ms ago, after the newest positions of " + String.join(", ", older) + ": waiting "
                    + "for probes that postdate it, so no commit acknowledged in between goes unseen");
        }
        String exclusions = excluded.isEmpty() ? "" : "; excluded " + String.join(", ", excluded);

        Optional<String> rpo = planned ? Optional.empty()
                : RpoRule.rpoZeroViolation(snapshot, leader, reachableFollowers, automatic);
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
                        + "resolve the divergence, or exclude a node (priority 0 or tag '" + Decider.NO_FAILOVER_TAG
                        + "') and let Regent fail over to the rest" + exclusions);
            }
            chosen = holdingAll.get();
        }
        if (!planned && RpoRule.synchronous(snapshot, leader)) {
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
    static Map<String, List<String>> lacks(Engine engine, NodeObserved node, List<NodeObserved> others) {
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
    static String describe(Map<String, List<String>> missing) {
        return missing.entrySet().stream().map(e -> String.join(", ", e.getValue()) + " (on " + e.getKey() + ")")
                .collect(Collectors.joining(", "));
    }

    /** Why {@code node} cannot be promoted, or null when it can. */
    static String exclusion(ClusterSnapshot snapshot, TopologyNode node, Optional<NodeObserved> view,
            Long leaderLsn, NodeObserved leaderLastSeen, String leader, Instant now) {
        if (node.priority() <= 0) {
            return "priority 0 (never promoted)";
        }
        if (node.tags().contains(Decider.NO_FAILOVER_TAG)) {
            return "tagged '" + Decider.NO_FAILOVER_TAG + "'";
        }
        if (node.role() != NodeRole.FOLLOWER) {
            return "registry role " + node.role();
        }
        String upstream = Upstream.mismatch(snapshot, leader, Upstream.lastStreaming(snapshot, node.name(), now));
        if (upstream != null) {
            return upstream;
        }
        long unreachableBy = snapshot.freshSightingsOf(node.name(), now).stream().filter(s -> !s.reachable())
                .count();
        if (unreachableBy >= snapshot.policy().observerQuorum()) {
            return "unreachable for " + unreachableBy + " agents";
        }
        if (view.isEmpty()) {
            return "no agent reached it in the last " + Views.seconds(snapshot.policy().observationMaxAge());
        }
        if (view.get().role() != NodeRole.FOLLOWER) {
            return "reports role " + view.get().role() + ", not FOLLOWER";
        }
        Engine engine = snapshot.topology().engine();
        if (leaderLsn != null) {
            long lag = leaderLsn - Views.orZero(view.get().receivedLsn());
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
}
