package io.regent.monitor.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.events.Engine;
import io.regent.events.LagLimit;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.ProbeError;
import io.regent.events.ProbeErrorKind;
import io.regent.events.ReplicaState;
import io.regent.events.Replication;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.events.WalReceiverState;
import io.regent.monitor.routing.RoutingRules.Facts;
import io.regent.monitor.routing.RoutingRules.Lease;
import io.regent.monitor.routing.RoutingRules.Seen;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The routing checks a node's agent answers from its own facts: tables of facts -> status and reason. Cluster
 * "c" has leader a (port 5001) and followers b, c2 at epoch 7; lease 5 s with a 1.5 s fence head start.
 */
class RoutingRulesTest {

    private static final RoutingRules.Settings SETTINGS = new RoutingRules.Settings(Duration.ofSeconds(3),
            Duration.ofMillis(3_500), Duration.ofSeconds(2), Duration.ofSeconds(10), 16_777_216, 1_000);
    private static final Lease HELD = new Lease(true, false, 400L);

    static Stream<Arguments> leaderRows() {
        return Stream.of(
                row("the writable leader with its lease held", leaderFacts(HELD, f -> f), 200,
                        "leader a of c at epoch 7, leader lease renewed 400 ms ago"),
                row("no lease in use", leaderFacts(Lease.NONE, f -> f), 200, "leader a of c at epoch 7"),
                row("fenced: read-only", leaderFacts(HELD, f -> withOwn(f, leader(true, List.of()))), 503,
                        "a is the registered leader but refuses writes (read-only: fenced)"),
                row("demoted server still named leader", leaderFacts(HELD, f -> withOwn(f, pgFollower(100, 100,
                        streamingFrom(5001)))), 503, "a is the registered leader but its server runs as a follower"),
                row("another node leads at the agent's newest epoch", leaderFacts(HELD,
                        f -> new Facts("a", topology("b", Engine.POSTGRESQL), f.own(), f.leader(), f.lease(),
                                SETTINGS)), 503, "a is not the leader of c at epoch 7 (the leader is b)"),
                row("failover on record: lease refused", leaderFacts(new Lease(true, true, 1_200L), f -> f), 503,
                        "a is no longer the leader: the registry refused its leader lease"),
                // control plane down: the lease lapsed, but every follower streams from it - nobody was promoted
                row("registry away, every follower streams (failsafe)", leaderFacts(new Lease(true, false, 60_000L),
                        f -> f), 200, "leader lease not renewed for 60000 ms; every follower streams from this node "
                                + "and replied within 2000 ms"),
                row("registry away, a follower went quiet", leaderFacts(new Lease(true, false, 3_500L),
                        f -> withOwn(f, leader(false, List.of(sender("b", 100L), sender("c2", 2_500L))))), 503,
                        "a: leader lease not renewed for 3500 ms and follower c2 shows as streaming but has not "
                                + "replied for 2500 ms"),
                row("agent just started, no grant yet, followers stream", leaderFacts(new Lease(true, false, null),
                        f -> f), 200, "no leader lease granted yet; every follower streams"),
                row("own probe too old", leaderFacts(HELD, f -> new Facts("a", f.topology(),
                        new Seen(f.own().observation(), 3_001), f.leader(), f.lease(), SETTINGS)), 503,
                        "this agent has not probed a in the last 3000 ms"),
                row("server does not answer", leaderFacts(HELD, f -> withOwn(f, unreachable("a"))), 503,
                        "a does not answer its own agent (REFUSED: connection refused)"),
                row("no topology seen yet", new Facts("a", null, null, null, HELD, SETTINGS), 503,
                        "this agent has seen no topology of its cluster yet"),
                row("removed from the topology", new Facts("x", topology("a", Engine.POSTGRESQL), null, null, HELD,
                        SETTINGS), 503, "x is not in the topology of c at epoch 7"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("leaderRows")
    void leader(String name, Facts facts, int status, String reason) {
        RoutingRules.Answer answer = RoutingRules.leader(facts);
        assertThat(answer.reason()).contains(reason);
        assertThat(answer.status()).isEqualTo(status);
    }

    static Stream<Arguments> followerRows() {
        LagLimit none = new LagLimit(null, null, null);
        return Stream.of(
                row("streaming, close behind", followerFacts(pgFollower(1_000, 900, streamingFrom(5001)), 1_100L),
                        none, 200, "follower b of c, 200 bytes behind leader a"),
                row("default limit 16 MiB", followerFacts(pgFollower(1_000, 1_000, streamingFrom(5001)),
                        1_000L + 16_777_217), none, 503, "b is 16777217 bytes behind (limit 16777216)"),
                row("asked limit", followerFacts(pgFollower(1_000, 900, streamingFrom(5001)), 1_100L),
                        new LagLimit(199L, null, null), 503, "b is 200 bytes behind (limit 199)"),
                // the leader out of this agent's reach: its sender's last report of the end of WAL still counts
                row("leader not probed: the sender's end of WAL", followerFacts(pgFollower(1_000, 1_000,
                        new WalReceiverState("streaming", "127.0.0.1", 5001, 1L, 5_000L, null, null, null, 200L)),
                        null), new LagLimit(3_000L, null, null), 503, "b is 4000 bytes behind (limit 3000)"),
                row("replay delay within", followerFacts(pgFollowerDelayed(2_000L), 1_000L),
                        new LagLimit(null, null, 5L), 200, "follower b of c"),
                row("replay delay past", followerFacts(pgFollowerDelayed(6_000L), 1_000L),
                        new LagLimit(null, null, 5L), 503, "b replays 6000 ms behind (limit 5 s)"),
                row("replay delay unknown", followerFacts(pgFollowerDelayed(null), 1_000L),
                        new LagLimit(null, null, 5L), 503, "b has a replay delay nobody can tell (limit 5 s)"),
                row("not streaming", followerFacts(pgFollower(1_000, 1_000, new WalReceiverState("waiting", null, null,
                        null, null, null, null, null, null)), 1_000L), none, 503,
                        "b does not stream from a leader (its receiver is waiting)"),
                row("no receiver", followerFacts(pgFollower(1_000, 1_000, null), 1_000L), none, 503,
                        "b does not stream from a leader (no WAL receiver runs)"),
                row("streams from the old leader", followerFacts(pgFollower(1_000, 1_000, streamingFrom(5002)),
                        1_000L), none, 503, "b replicates from 127.0.0.1:5002, not from leader a (127.0.0.1:5001)"),
                row("cut off: silent stream", followerFacts(pgFollower(1_000, 1_000,
                        new WalReceiverState("streaming", "127.0.0.1", 5001, 1L, 1_000L, null, null, null, 10_001L)),
                        null), none, 503, "b has heard nothing from its leader for 10001 ms (more than 10000 ms)"),
                row("other timeline", followerFacts(pgFollower(1_000, 1_000,
                        new WalReceiverState("streaming", "127.0.0.1", 5001, 2L, 1_000L, null, null, null, 5L)),
                        1_000L), none, 503, "b receives timeline 2 but leader a is on timeline 1"),
                row("the leader itself", new Facts("a", topology("a", Engine.POSTGRESQL), new Seen(leader(false,
                        List.of()), 100), null, HELD, SETTINGS), none, 503, "a is the leader of c at epoch 7"),
                row("a follower promoted behind the agent's back", followerFacts(leader(false, List.of()), 1_000L),
                        none, 503, "b runs as a leader (not in recovery), but the leader of c at epoch 7 is a"),
                row("byte limit on MariaDB", mariaFacts(100), new LagLimit(16_777_216L, null, null), 400,
                        "max-lag-bytes does not apply to MariaDB: its lag is counted in transactions; use "
                                + "max-lag-transactions or max-lag-seconds"),
                row("transaction limit on PostgreSQL", followerFacts(pgFollower(1_000, 1_000, streamingFrom(5001)),
                        1_000L), new LagLimit(null, 50L, null), 400, "max-lag-transactions does not apply to "
                                + "PostgreSQL"),
                row("MariaDB 100 transactions behind, limit 50", mariaFacts(100), new LagLimit(null, 50L, null),
                        503, "b is 100 transactions behind (limit 50)"),
                row("MariaDB 100 transactions behind, limit 200", mariaFacts(100), new LagLimit(null, 200L, null),
                        200, "follower b of c, 100 transactions behind leader a"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("followerRows")
    void follower(String name, Facts facts, LagLimit limit, int status, String reason) {
        RoutingRules.Answer answer = RoutingRules.follower(facts, limit);
        assertThat(answer.reason()).contains(reason);
        assertThat(answer.status()).isEqualTo(status);
    }

    static Stream<Arguments> readOnlyRows() {
        LagLimit none = new LagLimit(null, null, null);
        return Stream.of(
                row("the leader serves reads", leaderFacts(HELD, f -> f), none, 200, "reads on leader a of c"),
                row("a fenced leader serves none", leaderFacts(HELD, f -> withOwn(f, leader(true, List.of()))), none,
                        503, "refuses writes (read-only: fenced)"),
                row("a follower in the pool", followerFacts(pgFollower(1_000, 1_000, streamingFrom(5001)), 1_000L),
                        none, 200, "follower b of c, 0 bytes behind"),
                row("a follower out of it", followerFacts(pgFollower(1_000, 1_000, streamingFrom(5002)), 1_000L),
                        none, 503, "b replicates from 127.0.0.1:5002"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("readOnlyRows")
    void readOnly(String name, Facts facts, LagLimit limit, int status, String reason) {
        RoutingRules.Answer answer = RoutingRules.readOnly(facts, limit);
        assertThat(answer.reason()).contains(reason);
        assertThat(answer.status()).isEqualTo(status);
    }

    private static Arguments row(Object... values) {
        return Arguments.of(values);
    }

    private static TopologyChanged topology(String leader, Engine engine) {
        return new TopologyChanged("c", 7, engine, leader, List.of(node("a", 5001, leader), node("b", 5002, leader),
                node("c2", 5003, leader)), Replication.ASYNC, false, Instant.EPOCH, "test", null);
    }

    private static TopologyNode node(String name, int port, String leader) {
        return new TopologyNode(name, "127.0.0.1", port, "z", name.equals(leader) ? NodeRole.LEADER
                : NodeRole.FOLLOWER, 1, name.equals(leader) ? null : leader, List.of());
    }

    private static Facts leaderFacts(Lease lease, UnaryOperator<Facts> change) {
        NodeObserved own = leader(false, List.of(sender("b", 100L), sender("c2", 300L)));
        return change.apply(new Facts("a", topology("a", Engine.POSTGRESQL), new Seen(own, 200), new Seen(own, 200),
                lease, SETTINGS));
    }

    private static Facts withOwn(Facts facts, NodeObserved own) {
        return new Facts(facts.self(), facts.topology(), new Seen(own, 200), facts.leader(), facts.lease(), SETTINGS);
    }

    /** Follower b with {@code own}; the agent's probe of leader a says its WAL ends at {@code leaderLsn} (null: none). */
    private static Facts followerFacts(NodeObserved own, Long leaderLsn) {
        Seen leader = leaderLsn == null ? null : new Seen(leaderAt(leaderLsn), 300);
        return new Facts("b", topology("a", Engine.POSTGRESQL), new Seen(own, 200), leader, Lease.NONE, SETTINGS);
    }

    /** MariaDB follower b, {@code behind} transactions received and not applied; the leader probed at its own end. */
    private static Facts mariaFacts(long behind) {
        NodeObserved own = new NodeObserved("c", "b", "agent", "z", Instant.EPOCH, 3L, Engine.MARIADB, true, null,
                NodeRole.FOLLOWER, true, null, null, 500 + behind, 500L, behind, 1_000L,
                new WalReceiverState("streaming", "127.0.0.1", 5001, null, 500 + behind, null, null, null, 100L),
                List.of(), null, "10.11", "0-1-" + 500, null, null, null);
        NodeObserved leader = new NodeObserved("c", "a", "agent", "z", Instant.EPOCH, 3L, Engine.MARIADB, true, null,
                NodeRole.LEADER, false, null, 500 + behind, null, null, null, null, null, List.of(), null, "10.11",
                null, null, null, null);
        return new Facts("b", topology("a", Engine.MARIADB), new Seen(own, 200), new Seen(leader, 200), Lease.NONE,
                SETTINGS);
    }

    private static NodeObserved leader(boolean readOnly, List<ReplicaState> replicas) {
        return new NodeObserved("c", "a", "agent", "z", Instant.EPOCH, 3L, Engine.POSTGRESQL, true, null,
                NodeRole.LEADER, readOnly, 1L, 1_000L, null, null, null, null, null, replicas, "", "15", null, null,
                null, null);
    }

    private static NodeObserved leaderAt(long lsn) {
        return new NodeObserved("c", "a", "agent", "z", Instant.EPOCH, 3L, Engine.POSTGRESQL, true, null,
                NodeRole.LEADER, false, 1L, lsn, null, null, null, null, null, List.of(), "", "15", null, null, null,
                null);
    }

    private static NodeObserved pgFollower(long received, long replayed, WalReceiverState receiver) {
        return new NodeObserved("c", "b", "agent", "z", Instant.EPOCH, 3L, Engine.POSTGRESQL, true, null,
                NodeRole.FOLLOWER, true, 1L, null, received, replayed, received - replayed, 0L, receiver, List.of(),
                null, "15", null, null, null, null);
    }

    private static NodeObserved pgFollowerDelayed(Long delayMillis) {
        return new NodeObserved("c", "b", "agent", "z", Instant.EPOCH, 3L, Engine.POSTGRESQL, true, null,
                NodeRole.FOLLOWER, true, 1L, null, 1_000L, 1_000L, 0L, delayMillis, streamingFrom(5001), List.of(),
                null, "15", null, null, null, null);
    }

    private static NodeObserved unreachable(String name) {
        return new NodeObserved("c", name, "agent", "z", Instant.EPOCH, 3L, Engine.POSTGRESQL, false,
                new ProbeError(ProbeErrorKind.REFUSED, "connection refused"), NodeRole.UNKNOWN, null, null, null, null,
                null, null, null, null, List.of(), null, null, null, null, null, null);
    }

    private static WalReceiverState streamingFrom(int port) {
        return new WalReceiverState("streaming", "127.0.0.1", port, 1L, 1_000L, null, null, null, 50L);
    }

    private static ReplicaState sender(String name, Long replyAgeMillis) {
        return new ReplicaState(name, "127.0.0.1", "streaming", "async", 0, 10L, 10L, 10L, 10L, 0L, 0L, 0L, 0L, null,
                replyAgeMillis);
    }
}
