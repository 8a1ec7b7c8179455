package io.regent.failover.decision;

import io.regent.engines.EngineCapabilities;
import io.regent.engines.ReplicatedHistory;
import io.regent.engines.postgres.SynchronousStandbyNames;
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

/** Invariant 3 and 11: is the leader down, alive, or alive but stranded read-only - from trustworthy evidence only. */
final class Detection {

    private Detection() {
    }

    record LeaderVerdict(Decision notDown, String evidence) {
    }

    /** Invariant 3: down only by a quorum of distinct agents, for the whole window, with no contrary sign. */
    static LeaderVerdict leaderVerdict(ClusterSnapshot snapshot, String leader, Instant now) {
        ClusterPolicy policy = snapshot.policy();
        Duration window = policy.detectionWindow();
        Instant windowStart = now.minus(window);
        List<Sighting> fresh = snapshot.freshSightingsOf(leader, now);
        List<Sighting> healthy = fresh.stream().filter(Sighting::reachable).toList();
        List<Sighting> unhealthy = fresh.stream().filter(Sighting::unhealthy).toList();
        List<Sighting> down = fresh.stream().filter(Sighting::down).toList();
        if (down.isEmpty()) {
            if (healthy.isEmpty() && unhealthy.isEmpty()) {
                return new LeaderVerdict(new Wait("no fresh observation of leader " + leader + " yet; agents "
                        + Views.freshAgents(snapshot, now) + " report on other nodes"), null);
            }
            if (healthy.isEmpty()) {
                return new LeaderVerdict(new NoAction("leader " + leader + " answers but is unhealthy ("
                        + unhealthy.stream().map(s -> s.latest().error().kind() + " for " + s.agent()).sorted()
                                .collect(Collectors.joining(", ")) + "): it is alive, which is no reason to fail "
                        + "over"), null);
            }
            Optional<Decision> stranded = strandedReadOnly(snapshot, leader, healthy, windowStart, now);
            if (stranded.isPresent()) {
                return new LeaderVerdict(stranded.get(), null);
            }
            Optional<Decision> unsynchronized = waitingForFewerThanRegistered(snapshot, leader, healthy, now);
            if (unsynchronized.isPresent()) {
                return new LeaderVerdict(unsynchronized.get(), null);
            }
            return new LeaderVerdict(new NoAction("leader " + leader + " is healthy (reached by "
                    + Views.agents(healthy) + ")"), null);
        }
        Optional<String> dead = provenDead(snapshot, leader, down, now);
        if (dead.isPresent()) {
            return new LeaderVerdict(null, dead.get());
        }
        // any answer inside the window - a success, or an error the server reported itself - is life
        Optional<Sighting> seenAlive = snapshot.sightingsOf(leader).stream()
                .filter(s -> s.lastAnswered() != null && s.localLastAnswered().isAfter(windowStart))
                .max(Comparator.comparing(Sighting::localLastAnswered));
        if (seenAlive.isPresent()) {
            NodeObserved answer = seenAlive.get().lastAnswered();
            return new LeaderVerdict(new Wait("leader " + leader + " unreachable for " + Views.agents(down)
                    + " but " + seenAlive.get().agent() + (answer.reachable() ? " reached it "
                            : " had an answer from it (" + answer.error().kind() + ") ")
                    + Duration.between(seenAlive.get().localLastAnswered(), now).toMillis() + " ms ago, inside the " + Views.seconds(window) + " detection window"), null);
        }
        List<Sighting> downForWindow = down.stream()
                .filter(s -> s.failedProbes() >= MIN_FAILED_PROBES
                        && !s.localDownSince().isAfter(now.minus(windowOf(s, window))))
                .toList();
        if (downForWindow.size() < policy.observerQuorum()) {
            String progress = down.stream().map(s -> s.agent() + " for " + Duration.between(s.localDownSince(), now)
                    .toMillis() + " ms (" + s.failedProbes() + (s.failedProbes() == 1 ? " probe" : " probes")
                    + (s.weak() ? ", timeouts: needs " + Views.seconds(windowOf(s, window)) : "") + ")").sorted()
                    .collect(Collectors.joining(", "));
            return new LeaderVerdict(new Wait("leader " + leader + " unreachable (" + progress + "); "
                    + downForWindow.size() + " of the " + policy.observerQuorum() + " agents required have seen it "
                    + "down for the whole detection window (" + Views.seconds(window) + ", " + Views.seconds(window
                            .multipliedBy(WEAK_FACTOR)) + " when it only timed out) and at least " + MIN_FAILED_PROBES
                    + " probes"), null);
        }
        Optional<Heard> witness = followerWitness(snapshot, leader, windowStart, now);
        String stream = EngineCapabilities.of(snapshot.topology().engine()).stream();
        if (witness.isPresent()) {
            return new LeaderVerdict(new Wait("leader " + leader + " unreachable for " + Views.agents(downForWindow)
                    + " but follower " + witness.get().follower() + " received " + stream + " from it "
                    + Duration.between(witness.get().at(), now).toMillis() + " ms ago, inside the " + Views.seconds(window)
                    + " detection window: it is alive, the agents are cut off"), null);
        }
        String errors = downForWindow.stream().map(s -> s.latest().error() == null ? "?"
                : s.latest().error().kind().name()).distinct().sorted().collect(Collectors.joining("/"));
        Duration longest = downForWindow.stream().map(s -> windowOf(s, window)).max(Duration::compareTo)
                .orElse(window);
        return new LeaderVerdict(null, "leader " + leader + " down: unreachable (" + errors + ") for "
                + Views.agents(downForWindow) + " for at least " + Views.seconds(longest) + ", no agent reached it and no "
                + "follower received " + stream + " from it since " + windowStart);
    }

    /**
     * A leader proven dead needs no detection window: its own agent - the one that sees its processes - found no
     * server process in its last {@link #MIN_FAILED_PROBES} or more probes, every one refused, a quorum of agents
     * (that one among them) has been refused that many times, and nobody had an answer from it, nor a follower
     * WAL, since the agent's run began. A server killed or crashed (kill -9, OOM killer) is proven dead at once;
     * a network fault never is: the refusals must come with the agent's own sight of the process table, and
     * timeouts (a slow or cut-off server) never count. Empty when not proven; then the window decides.
     */
    static Optional<String> provenDead(ClusterSnapshot snapshot, String leader, List<Sighting> down, Instant now) {
        Optional<Sighting> own = down.stream().filter(s -> s.latest().agentEndpoint() != null
                && Boolean.FALSE.equals(s.latest().serverRunning()) && refusedOnly(s)).findFirst();
        if (own.isEmpty()) {
            return Optional.empty();
        }
        Instant since = own.get().localDownSince();
        List<Sighting> refusing = down.stream().filter(Detection::refusedOnly).toList();
        boolean answeredSince = snapshot.sightingsOf(leader).stream()
                .anyMatch(s -> s.lastAnswered() != null && s.localLastAnswered().isAfter(since));
        if (refusing.size() < snapshot.policy().observerQuorum() || answeredSince
                || followerWitness(snapshot, leader, since, now).isPresent()) {
            return Optional.empty();
        }
        return Optional.of("leader " + leader + " down: its server process is gone (no postmaster, found by its own "
                + "agent " + own.get().agent() + " in " + own.get().failedProbes() + " probes over "
                + Duration.between(since, now).toMillis() + " ms) and " + Views.agents(refusing) + " were refused "
                + "(REFUSED) since, with no answer and no follower hearing from it: proven dead, not waiting out the "
                + Views.seconds(snapshot.policy().detectionWindow()) + " detection window");
    }

    /** A run of at least {@link #MIN_FAILED_PROBES} failed probes, every one refused (strong evidence). */
    private static boolean refusedOnly(Sighting sighting) {
        return sighting.failedProbes() >= MIN_FAILED_PROBES && !sighting.weak() && sighting.latest().error() != null
                && sighting.latest().error().kind() == io.regent.events.ProbeErrorKind.REFUSED;
    }

    /** A run of failed probes counts only with at least this many: one lost probe is no evidence. */
    static final int MIN_FAILED_PROBES = 2;
    /** A run that holds timeouts (no answer at all: a slow or cut-off server looks the same) needs this many windows. */
    static final int WEAK_FACTOR = 2;

    /** The detection window for this agent's run: twice as long when it only timed out (weak evidence). */
    private static Duration windowOf(Sighting sighting, Duration window) {
        return sighting.weak() ? window.multipliedBy(WEAK_FACTOR) : window;
    }

    /**
     * Invariant 11: the registry's leader answers as a leader but takes no writes, and has for the whole
     * window by some agent's account while none saw it writable - a leader change that failed after its
     * fence left it so (no operation runs, or {@link #decide} would have waited). Reading {@code
     * readOnlySince} over the window keeps a probe taken in the moment between a promotion and its unfence
     * from counting.
     */
    static Optional<Decision> strandedReadOnly(ClusterSnapshot snapshot, String leader,
            List<Sighting> healthy, Instant windowStart, Instant now) {
        boolean writable = healthy.stream().anyMatch(s -> s.latest().role() == NodeRole.LEADER
                && !Boolean.TRUE.equals(s.latest().readOnly()));
        Optional<Sighting> readOnly = healthy.stream().filter(s -> s.readOnlySince() != null
                && !s.localReadOnlySince().isAfter(windowStart)).min(Comparator.comparing(Sighting::localReadOnlySince));
        if (writable || readOnly.isEmpty()) {
            return Optional.empty();
        }
        Optional<Decision> justOpened = justOpened(snapshot, leader, now);
        if (justOpened.isPresent()) {
            return justOpened;
        }
        return Optional.of(new Decision.Unfence(leader, snapshot.epoch(), "leader " + leader + " answers but has "
                + "taken no writes for " + Duration.between(readOnly.get().localReadOnlySince(), now).toMillis() + " ms (seen read-only by "
                + Views.agents(healthy) + ") and no operation runs: a failed step left it fenced; making it writable again "
                + "(epoch " + snapshot.epoch() + ")"));
    }

    /** Wait while the agents have not yet seen the leader as the last reopen left it: no second one meanwhile. */
    private static Optional<Decision> justOpened(ClusterSnapshot snapshot, String leader, Instant now) {
        Instant unfencedAt = snapshot.bookkeeping().unfencedAt();
        if (unfencedAt != null && now.isBefore(unfencedAt.plus(snapshot.policy().observationMaxAge()))) {
            return Optional.of(new Decision.Wait("leader " + leader + " was opened with its registered standbys at "
                    + unfencedAt + "; waiting for the agents to see it so"));
        }
        return Optional.empty();
    }

    /**
     * Invariant 5, kept and not only checked: Regent sets {@code synchronous_standby_names} at every promotion,
     * and so also on a leader it did not promote (the initial one) or that was edited by hand - when every agent
     * that reaches the writable leader sees it wait for fewer standbys than the registry's {@code ANY k}, it is
     * opened again with its registered standbys (the {@link Decision.Unfence} operation, a no-op for
     * everything else). To run a cluster asynchronously, change its replication in the registry.
     */
    static Optional<Decision> waitingForFewerThanRegistered(ClusterSnapshot snapshot, String leader,
            List<Sighting> healthy, Instant now) {
        int k = snapshot.topology().replication().syncCount();
        if (snapshot.topology().engine() != Engine.POSTGRESQL
                || snapshot.topology().replication().mode() != ReplicationMode.SYNC_ANY || healthy.isEmpty()) {
            return Optional.empty();
        }
        String seen = null;
        for (Sighting sighting : healthy) {
            NodeObserved latest = sighting.latest();
            if (latest.role() != NodeRole.LEADER || Boolean.TRUE.equals(latest.readOnly())
                    || latest.synchronousStandbyNames() == null) {
                return Optional.empty();
            }
            SynchronousStandbyNames names;
            try {
                names = SynchronousStandbyNames.parse(latest.synchronousStandbyNames());
            } catch (IllegalArgumentException unreadable) {
                return Optional.empty(); // not Regent's to rewrite what it cannot read
            }
            if (names.fenced() || (!names.asynchronous() && names.k() >= k)) {
                return Optional.empty();
            }
            seen = names.text();
        }
        Optional<Decision> justOpened = justOpened(snapshot, leader, now);
        if (justOpened.isPresent()) {
            return justOpened;
        }
        return Optional.of(new Decision.Unfence(leader, snapshot.epoch(), "leader " + leader + " commits waiting for "
                + "fewer standbys than the registry's synchronous ANY " + k + " (synchronous_standby_names '" + seen
                + "', seen by " + Views.agents(healthy) + "): setting its registered standbys, so that every "
                + "acknowledged commit is on " + k + (k == 1 ? " standby" : " standbys") + " (epoch "
                + snapshot.epoch() + ")"));
    }

    /** A follower that heard from the leader {@code at} (this instance's clock). */
    record Heard(String follower, Instant at) {
    }

    /**
     * A follower still hearing from the leader proves it alive, whatever the agents say. When it last
     * heard is its age as measured at the probe, on one clock ({@code lastMessageAgeMillis}), placed on
     * this instance's clock by the observation's receipt - never the follower's own timestamp, whose clock
     * may be behind. A follower streaming from another node, or on another timeline than the leader's, is
     * no witness for it.
     */
    static Optional<Heard> followerWitness(ClusterSnapshot snapshot, String leader, Instant windowStart, Instant now) {
        List<Heard> witnesses = new ArrayList<>();
        for (TopologyNode node : snapshot.topology().nodes()) {
            if (node.name().equals(leader)) {
                continue;
            }
            for (Sighting s : snapshot.freshSightingsOf(node.name(), now)) {
                NodeObserved o = s.latest();
                if (!o.reachable() || o.walReceiver() == null || o.walReceiver().lastMessageAgeMillis() == null
                        || Upstream.mismatch(snapshot, leader, o) != null) {
                    continue;
                }
                Instant heard = s.receivedAt().minusMillis(o.walReceiver().lastMessageAgeMillis());
                if (heard.isAfter(windowStart)) {
                    witnesses.add(new Heard(o.node(), heard));
                }
            }
        }
        return witnesses.stream().max(Comparator.comparing(Heard::at));
    }
}
