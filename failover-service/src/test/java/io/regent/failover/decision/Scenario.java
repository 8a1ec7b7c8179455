package io.regent.failover.decision;

import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.ProbeError;
import io.regent.events.ProbeErrorKind;
import io.regent.events.Replication;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.events.WalReceiverState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * A readable way to write a cluster's state for decision tests: nodes, policy, and what each agent
 * saw when, relative to a fixed {@link #NOW}. Observations go through {@link Sighting#then} like
 * the live service's, so the tests also cover how sightings accumulate.
 */
final class Scenario {

    static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");
    static final long LEADER_LSN = 50_000_000L;

    private final Map<String, TopologyNode> nodes = new LinkedHashMap<>();
    private final Map<String, Map<String, Sighting>> sightings = new HashMap<>();
    private String leader = "a";
    private long epoch = 7;
    private Replication replication = Replication.ASYNC;
    private boolean maintenance;
    private Engine engine = Engine.POSTGRESQL;
    private ClusterPolicy policy = new ClusterPolicy(true, Duration.ofMillis(1500), 2, 16L << 20, false,
            Duration.ofMinutes(5), Duration.ofSeconds(3));
    private Instant lastFailoverAt;
    private UUID runningOperation;
    private Bookkeeping bookkeeping = Bookkeeping.NONE;
    /** The leader's synchronous_standby_names as its probes report it; null: not reported. */
    private String leaderSyncNames;
    /** agent → how far its clock runs ahead of this instance's, in ms (negative: behind). */
    private final Map<String, Long> agentClockAhead = new HashMap<>();
    /** node → how far its server's clock runs ahead of this instance's, in ms. */
    private final Map<String, Long> serverClockAhead = new HashMap<>();

    /** Leader a, followers b and c, all priority 100, async, quorum 2, window 1.5 s. */
    static Scenario threeNodes() {
        return new Scenario().node("a", NodeRole.LEADER, 100).node("b", NodeRole.FOLLOWER, 100)
                .node("c", NodeRole.FOLLOWER, 100);
    }

    Scenario node(String name, NodeRole role, int priority, String... tags) {
        nodes.put(name, new TopologyNode(name, "127.0.0.1", 5400 + nodes.size(), "zone-" + name, role, priority,
                role == NodeRole.LEADER ? null : leader, List.of(tags)));
        return this;
    }

    Scenario leader(String name) {
        leader = name;
        return this;
    }

    Scenario synchronousAny(int k) {
        replication = Replication.syncAny(k);
        return this;
    }

    Scenario maintenance() {
        maintenance = true;
        return this;
    }

    Scenario engine(Engine clusterEngine) {
        engine = clusterEngine;
        return this;
    }

    Scenario policy(UnaryOperator<ClusterPolicy> change) {
        policy = change.apply(policy);
        return this;
    }

    Scenario lastFailover(Duration ago) {
        lastFailoverAt = NOW.minus(ago);
        return this;
    }

    /** What this instance did lately (the gates against doing it twice). */
    Scenario bookkeeping(Bookkeeping done) {
        bookkeeping = done;
        return this;
    }

    /**
     * From here on, {@code agent}'s clock runs {@code aheadMs} ahead of this instance's (negative: behind):
     * its observations carry instants of its clock; this instance receives them when they are made.
     */
    Scenario agentClock(String agent, long aheadMs) {
        agentClockAhead.put(agent, aheadMs);
        return this;
    }

    /** From here on, {@code node}'s server clock runs {@code aheadMs} ahead of this instance's. */
    Scenario serverClock(String node, long aheadMs) {
        serverClockAhead.put(node, aheadMs);
        return this;
    }

    Scenario running(UUID operation) {
        runningOperation = operation;
        return this;
    }

    /** {@code agent} reached the leader {@code agoMs} ago at {@link #LEADER_LSN}. */
    Scenario leaderUp(String node, String agent, long agoMs) {
        NodeObserved o = observation(node, agent, agoMs, true, null, NodeRole.LEADER, false, LEADER_LSN, null, null,
                null);
        return observe(leaderSyncNames == null ? o : new NodeObserved(o.clusterId(), o.node(), o.observerId(),
                o.observerZone(), o.observedAt(), o.probeMillis(), o.engine(), o.reachable(), o.error(), o.role(),
                o.readOnly(), o.timeline(), o.currentLsn(), o.receivedLsn(), o.replayedLsn(), o.lagBytes(),
                o.lagMillis(), o.walReceiver(), o.replicas(), leaderSyncNames, o.serverVersion(), o.executedGtids(),
                o.receivedGtids(), o.semiSync(), o.agentEndpoint()));
    }

    /** From here on, probes of a healthy leader report this synchronous_standby_names. */
    Scenario leaderWaitsFor(String synchronousStandbyNames) {
        leaderSyncNames = synchronousStandbyNames;
        return this;
    }

    /** {@code agent} reached {@code node}, which says it is a writable leader. */
    Scenario writableLeader(String node, String agent, long agoMs) {
        return leaderUp(node, agent, agoMs);
    }

    /** {@code agent} reached {@code node}, a leader made read-only. */
    Scenario readOnlyLeader(String node, String agent, long agoMs) {
        return observe(observation(node, agent, agoMs, true, null, NodeRole.LEADER, true, LEADER_LSN, null, null,
                null));
    }

    /**
     * {@code agent} saw the leader healthy at {@code healthyAgoMs}, then failed to reach it every
     * second from {@code downSinceAgoMs} until {@code latestAgoMs}.
     */
    Scenario leaderDown(String node, String agent, long healthyAgoMs, long downSinceAgoMs, long latestAgoMs,
            ProbeErrorKind kind) {
        if (healthyAgoMs >= 0) {
            leaderUp(node, agent, healthyAgoMs);
        }
        for (long ago = downSinceAgoMs; ago > latestAgoMs; ago -= 1000) {
            observe(down(node, agent, ago, kind));
        }
        observe(down(node, agent, latestAgoMs, kind));
        return this;
    }

    /** {@code agent}'s probe of {@code node} failed with an error the server itself reported ({@code kind}). */
    Scenario answeredWith(String node, String agent, long agoMs, ProbeErrorKind kind) {
        return observe(down(node, agent, agoMs, kind));
    }

    Scenario unreachable(String node, String agent, long agoMs) {
        return observe(down(node, agent, agoMs, ProbeErrorKind.REFUSED));
    }

    private static NodeObserved down(String node, String agent, long agoMs, ProbeErrorKind kind) {
        return observation(node, agent, agoMs, false, new ProbeError(kind, "probe failed"), NodeRole.UNKNOWN, null,
                null, null, null, null);
    }

    /** {@code agent} reached follower {@code node} with these positions; its WAL receiver last heard the leader long ago. */
    Scenario follower(String node, String agent, long agoMs, long received, long replayed) {
        return followerHearing(node, agent, agoMs, received, replayed, 60_000);
    }

    /** As {@link #follower}, with the WAL receiver's last message from the leader {@code walAgoMs} ago. */
    Scenario followerHearing(String node, String agent, long agoMs, long received, long replayed, long walAgoMs) {
        return followerStreaming(node, agent, agoMs, received, replayed, walAgoMs, leader, 1L);
    }

    /**
     * As {@link #followerHearing}, its receiver connected to {@code sender} on {@code timeline}. The age of the
     * last message is measured on the follower's clock; the instant it reports is on that clock too.
     */
    Scenario followerStreaming(String node, String agent, long agoMs, long received, long replayed, long walAgoMs,
            String sender, long timeline) {
        Instant heard = NOW.minusMillis(walAgoMs).plusMillis(serverClockAhead.getOrDefault(node, 0L));
        TopologyNode from = nodes.get(sender != null ? sender : nodes.keySet().iterator().next());
        WalReceiverState wal = new WalReceiverState("streaming", from.host(), from.port(), timeline, received,
                heard, heard, null, Math.max(0, walAgoMs - agoMs));
        return observe(observation(node, agent, agoMs, true, null, NodeRole.FOLLOWER, true, null, received, replayed,
                wal));
    }

    /** The agent running next to {@code node} (node mode) probed it {@code agoMs} ago: it publishes its endpoint. */
    Scenario nodeAgent(String node, long agoMs, boolean reachable) {
        NodeObserved own = reachable
                ? observation(node, "node-" + node, agoMs, true, null, NodeRole.LEADER, true, LEADER_LSN, null, null,
                        null)
                : down(node, "node-" + node, agoMs, ProbeErrorKind.REFUSED);
        return observe(own.withAgentEndpoint("http://127.0.0.1:87" + node.charAt(0) % 10 + "0"));
    }

    /**
     * The agent next to {@code node} has failed to reach it every second since {@code downSinceAgoMs}
     * (the latest 300 ms ago), after a successful probe {@code healthyAgoMs} ago (none when negative).
     */
    Scenario nodeAgentDown(String node, long healthyAgoMs, long downSinceAgoMs) {
        return nodeAgentDown(node, healthyAgoMs, downSinceAgoMs, null);
    }

    /** As {@link #nodeAgentDown}, the agent finding no server process at all (the postmaster gone) each time. */
    Scenario nodeAgentFindsServerGone(String node, long healthyAgoMs, long downSinceAgoMs) {
        return nodeAgentDown(node, healthyAgoMs, downSinceAgoMs, false);
    }

    private Scenario nodeAgentDown(String node, long healthyAgoMs, long downSinceAgoMs, Boolean serverRunning) {
        String agent = "node-" + node;
        String endpoint = "http://127.0.0.1:87" + node.charAt(0) % 10 + "0";
        if (healthyAgoMs >= 0) {
            observe(observation(node, agent, healthyAgoMs, true, null, NodeRole.FOLLOWER, true, null, LEADER_LSN,
                    LEADER_LSN, null).withAgentEndpoint(endpoint));
        }
        for (long ago = downSinceAgoMs; ago > 300; ago -= 1000) {
            observe(down(node, agent, ago, ProbeErrorKind.REFUSED).asOwnAgent(endpoint, serverRunning));
        }
        return observe(down(node, agent, 300, ProbeErrorKind.REFUSED).asOwnAgent(endpoint, serverRunning));
    }

    /**
     * The agent next to follower {@code node} has reached it every second since {@code sinceAgoMs} (the latest
     * 300 ms ago), its receiver connected to {@code sender} - or to no one when {@code sender} is null.
     */
    Scenario nodeAgentSeesFollower(String node, String sender, long sinceAgoMs) {
        String agent = "node-" + node;
        String endpoint = "http://127.0.0.1:87" + node.charAt(0) % 10 + "0";
        List<Long> agos = new ArrayList<>();
        for (long ago = sinceAgoMs; ago > 300; ago -= 1000) {
            agos.add(ago);
        }
        agos.add(300L);
        for (long ago : agos) {
            WalReceiverState wal = null;
            if (sender != null) {
                TopologyNode from = nodes.get(sender);
                wal = new WalReceiverState("streaming", from.host(), from.port(), 1L, LEADER_LSN, NOW.minusMillis(ago),
                        NOW.minusMillis(ago), null, 0L);
            }
            observe(observation(node, agent, ago, true, null, NodeRole.FOLLOWER, true, null, LEADER_LSN, LEADER_LSN,
                    wal).withAgentEndpoint(endpoint));
        }
        return this;
    }

    /**
     * A MariaDB cluster's dead leader {@code a}: agents m1 and m2 saw it healthy 2.3 s ago with GTID
     * state {@code executed} (null: never seen healthy), and unreachable since 2 s.
     */
    Scenario gtidLeaderDead(String executed) {
        engine = Engine.MARIADB;
        for (String agent : List.of("m1", "m2")) {
            if (executed != null) {
                observe(gtids(observation("a", agent, 2_300, true, null, NodeRole.LEADER, false,
                        lastSequence(executed), null, null, null), executed, null));
            }
            leaderDown("a", agent, -1, 2_000, 100, ProbeErrorKind.REFUSED);
        }
        return this;
    }

    /** {@code agent} reached MariaDB follower {@code node}: it applied {@code executed}, received {@code received}. */
    Scenario gtidFollower(String node, String agent, long agoMs, String executed, String received) {
        long receivedSequence = lastSequence(received);
        long appliedSequence = lastSequence(executed);
        return observe(gtids(observation(node, agent, agoMs, true, null, NodeRole.FOLLOWER, true, null,
                receivedSequence, appliedSequence, null), executed, received));
    }

    private static long lastSequence(String set) {
        long max = 0;
        for (String gtid : set.split(",")) {
            max = Math.max(max, Long.parseLong(gtid.substring(gtid.lastIndexOf('-') + 1)));
        }
        return max;
    }

    private static NodeObserved gtids(NodeObserved o, String executed, String received) {
        return new NodeObserved(o.clusterId(), o.node(), o.observerId(), o.observerZone(), o.observedAt(),
                o.probeMillis(), Engine.MARIADB, o.reachable(), o.error(), o.role(), o.readOnly(), null,
                o.currentLsn(), o.receivedLsn(), o.replayedLsn(), o.lagBytes(), o.lagMillis(), o.walReceiver(),
                o.replicas(), null, "10.11.19-MariaDB", executed, received, null, null);
    }

    /**
     * {@code observed} as this instance receives it: instants of the agent's clock (shifted by {@link
     * #agentClock}), received when it was made (on this instance's clock).
     */
    Scenario observe(NodeObserved observed) {
        long ahead = agentClockAhead.getOrDefault(observed.observerId(), 0L);
        Instant receivedAt = observed.observedAt();
        NodeObserved stamped = shifted(observed, ahead);
        sightings.computeIfAbsent(stamped.node(), n -> new HashMap<>()).merge(stamped.observerId(),
                Sighting.first(stamped, receivedAt), (old, fresh) -> old.then(stamped, receivedAt));
        return this;
    }

    private static NodeObserved shifted(NodeObserved o, long aheadMs) {
        if (aheadMs == 0) {
            return o;
        }
        return new NodeObserved(o.clusterId(), o.node(), o.observerId(), o.observerZone(),
                o.observedAt().plusMillis(aheadMs), o.probeMillis(), o.engine(), o.reachable(), o.error(), o.role(),
                o.readOnly(), o.timeline(), o.currentLsn(), o.receivedLsn(), o.replayedLsn(), o.lagBytes(),
                o.lagMillis(), o.walReceiver(), o.replicas(), o.synchronousStandbyNames(), o.serverVersion(),
                o.executedGtids(), o.receivedGtids(), o.semiSync(), o.agentEndpoint());
    }

    ClusterSnapshot snapshot() {
        List<TopologyNode> list = new ArrayList<>();
        for (TopologyNode n : nodes.values()) {
            NodeRole role = n.name().equals(leader) ? NodeRole.LEADER
                    : n.role() == NodeRole.LEADER ? NodeRole.NEEDS_REJOIN : n.role();
            list.add(new TopologyNode(n.name(), n.host(), n.port(), n.zone(), role, n.priority(),
                    n.name().equals(leader) ? null : leader, n.tags()));
        }
        TopologyChanged topology = new TopologyChanged("orders", epoch, engine, leader, list, replication,
                maintenance, NOW.minusSeconds(600), "test", null);
        return new ClusterSnapshot(topology, policy, sightings, lastFailoverAt, runningOperation, bookkeeping);
    }

    static NodeObserved observation(String node, String agent, long agoMs, boolean reachable, ProbeError error,
            NodeRole role, Boolean readOnly, Long current, Long received, Long replayed, WalReceiverState wal) {
        Long lag = received == null || replayed == null ? null : received - replayed;
        return new NodeObserved("orders", node, agent, "zone-" + agent, NOW.minusMillis(agoMs), 2L,
                Engine.POSTGRESQL, reachable, error, role, readOnly, 1L, current, received, replayed, lag,
                lag == null ? null : 0L, wal, List.of(), null, "15", null, null, null, null);
    }
}
