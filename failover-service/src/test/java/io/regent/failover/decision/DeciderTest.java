package io.regent.failover.decision;

import static io.regent.events.ProbeErrorKind.AUTH;
import static io.regent.events.ProbeErrorKind.BUSY;
import static io.regent.events.ProbeErrorKind.REFUSED;
import static io.regent.events.ProbeErrorKind.SLOW;
import static io.regent.events.ProbeErrorKind.TIMEOUT;
import static io.regent.failover.decision.Scenario.LEADER_LSN;
import static io.regent.failover.decision.Scenario.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import io.regent.events.FailoverRequested;
import io.regent.events.NodeRole;
import io.regent.events.OperationKind;
import io.regent.events.Engine;
import io.regent.events.RejoinRequested;
import io.regent.events.SwitchoverRequested;
import io.regent.failover.decision.Decision.Failover;
import io.regent.failover.decision.Decision.Fence;
import io.regent.failover.decision.Decision.NoAction;
import io.regent.failover.decision.Decision.Refuse;
import io.regent.failover.decision.Decision.Wait;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * decide() as a table: each row is a cluster state, the decision it must produce (kind and, for
 * failovers and fencing, the node) and words its reason must contain. Times are relative to
 * {@link Scenario#NOW}; the default policy is quorum 2 of agents m1..m3, a 1.5 s detection window,
 * observations valid for 3 s, 16 MiB maximum lag, 5 min between automatic failovers.
 */
class DeciderTest {

    private static final long MIB = 1 << 20;

    /** Leader a dead for m1, m2, m3 since 2 s (the last probe 100 ms ago); followers b, c fresh and level. */
    private static Scenario leaderDead() {
        return withFollowers(Scenario.threeNodes()
                .leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                .leaderDown("a", "m2", 2_500, 2_200, 200, REFUSED)
                .leaderDown("a", "m3", 2_100, 1_900, 300, REFUSED));
    }

    private static Scenario withFollowers(Scenario scenario) {
        return scenario.follower("b", "m1", 150, LEADER_LSN, LEADER_LSN)
                .follower("c", "m1", 150, LEADER_LSN, LEADER_LSN);
    }

    static Stream<Arguments> automatic() {
        return Stream.of(
                row("healthy leader seen by every agent",
                        withFollowers(Scenario.threeNodes().leaderUp("a", "m1", 200).leaderUp("a", "m2", 400)
                                .leaderUp("a", "m3", 600)),
                        NoAction.class, null, "leader a is healthy (reached by [m1, m2, m3])"),
                row("a leader left read-only with no operation running is made writable again",
                        withFollowers(Scenario.threeNodes().readOnlyLeader("a", "m1", 2_500).readOnlyLeader("a", "m1", 100)
                                .readOnlyLeader("a", "m2", 200)),
                        Decision.Unfence.class, "a", "leader a answers but has taken no writes for 2500 ms (seen "
                                + "read-only by [m1, m2]) and no operation runs"),
                row("a synchronous cluster whose leader commits asynchronously gets its standbys set",
                        withFollowers(Scenario.threeNodes().synchronousAny(1).leaderWaitsFor("").leaderUp("a", "m1", 200)
                                .leaderUp("a", "m2", 400)),
                        Decision.Unfence.class, "a", "leader a commits waiting for fewer standbys than the registry's "
                                + "synchronous ANY 1 (synchronous_standby_names '', seen by [m1, m2]): setting its "
                                + "registered standbys, so that every acknowledged commit is on 1 standby (epoch 7)"),
                row("ANY 1 where the registry says ANY 2: raised",
                        withFollowers(Scenario.threeNodes().synchronousAny(2).leaderWaitsFor("ANY 1 (b, c)")
                                .leaderUp("a", "m1", 200)),
                        Decision.Unfence.class, "a", "synchronous ANY 2 (synchronous_standby_names 'ANY 1 (b, c)', seen "
                                + "by [m1]): setting its registered standbys, so that every acknowledged commit is on 2 "
                                + "standbys"),
                row("FIRST 1 where the registry says ANY 1: as many standbys, left alone",
                        withFollowers(Scenario.threeNodes().synchronousAny(1).leaderWaitsFor("FIRST 1 (b, c)")
                                .leaderUp("a", "m1", 200)),
                        NoAction.class, null, "leader a is healthy (reached by [m1])"),
                row("an asynchronous cluster's empty setting is as registered",
                        withFollowers(Scenario.threeNodes().leaderWaitsFor("").leaderUp("a", "m1", 200)),
                        NoAction.class, null, "leader a is healthy (reached by [m1])"),
                row("one agent still sees the registered standbys: a change in progress, not yet",
                        withFollowers(Scenario.threeNodes().synchronousAny(1).leaderWaitsFor("ANY 1 (b, c)")
                                .leaderUp("a", "m1", 300).leaderWaitsFor("").leaderUp("a", "m2", 200)),
                        NoAction.class, null, "leader a is healthy (reached by [m1, m2])"),
                row("just opened with its standbys: wait for the agents to see it, no second operation",
                        withFollowers(Scenario.threeNodes().synchronousAny(1).leaderWaitsFor("").leaderUp("a", "m1", 200))
                                .bookkeeping(new Bookkeeping(null, -1, java.util.Map.of(), NOW.minusSeconds(1), false,
                                        null)),
                        Wait.class, null, "leader a was opened with its registered standbys at " + NOW.minusSeconds(1)),
                row("read-only for less than the window: it may be a promotion about to be opened",
                        withFollowers(Scenario.threeNodes().readOnlyLeader("a", "m1", 1_000).readOnlyLeader("a", "m1", 100)),
                        NoAction.class, null, "leader a is healthy (reached by [m1])"),
                row("read-only by one agent's old account but writable by another's now: not stranded",
                        withFollowers(Scenario.threeNodes().readOnlyLeader("a", "m1", 2_500).readOnlyLeader("a", "m1", 100)
                                .writableLeader("a", "m2", 200)),
                        NoAction.class, null, "leader a is healthy (reached by [m1, m2])"),
                row("a read-only leader while an operation runs: that operation owns it",
                        withFollowers(Scenario.threeNodes().readOnlyLeader("a", "m1", 2_500).readOnlyLeader("a", "m1", 100))
                                .running(UUID.fromString("00000000-0000-0000-0000-000000000042")),
                        Wait.class, null, "operation 00000000-0000-0000-0000-000000000042 of cluster orders is still "
                                + "running"),
                row("a read-only leader in maintenance is the operator's business",
                        withFollowers(Scenario.threeNodes().readOnlyLeader("a", "m1", 2_500).readOnlyLeader("a", "m1", 100))
                                .maintenance(),
                        NoAction.class, null, "cluster orders is in maintenance"),
                row("a maintenance window switched on by command ends by itself",
                        leaderDead().maintenance().bookkeeping(new Bookkeeping(NOW.minusSeconds(1), -1,
                                java.util.Map.of(), null, false, null)),
                        Decision.EndMaintenance.class, null, "maintenance window ended at " + NOW.minusSeconds(1)),
                row("a refusal is recorded once per epoch",
                        leaderDead().policy(p -> policy(p, true, p.minFailoverInterval(), true))
                                .bookkeeping(new Bookkeeping(null, 7, java.util.Map.of(), null, false, null)),
                        NoAction.class, null, "the failover of epoch 7 was refused and recorded already: leader a down"),
                row("a zombie fenced a moment ago, seen writable only before that: wait for the agents",
                        withFollowers(new Scenario().node("d", NodeRole.LEADER, 100).node("a", NodeRole.LEADER, 100)
                                .node("b", NodeRole.FOLLOWER, 100).node("c", NodeRole.FOLLOWER, 100).leader("a")
                                .leaderUp("a", "m1", 100).leaderUp("a", "m2", 100).writableLeader("d", "m2", 300))
                                .bookkeeping(new Bookkeeping(null, -1, java.util.Map.of("d", NOW.minusMillis(200)), null,
                                        false, null)),
                        Wait.class, null, "node d was fenced at " + NOW.minusMillis(200) + "; waiting for an agent"),
                row("a leader made writable a moment ago, seen read-only before that: wait for the agents",
                        withFollowers(Scenario.threeNodes().readOnlyLeader("a", "m1", 2_500).readOnlyLeader("a", "m1", 100))
                                .bookkeeping(new Bookkeeping(null, -1, java.util.Map.of(), NOW.minusSeconds(1), false,
                                        null)),
                        Wait.class, null, "leader a was opened with its registered standbys at " + NOW.minusSeconds(1)),
                row("maintenance forbids acting even on a dead leader",
                        leaderDead().maintenance(),
                        NoAction.class, null, "cluster orders is in maintenance"),
                row("an engine without failover actions is only observed",
                        leaderDead().engine(Engine.MONGODB),
                        NoAction.class, null, "cluster orders runs MONGODB: this version of Regent observes it but "
                                + "has no failover actions for it yet"),
                row("MariaDB: the same rules fail over a dead leader",
                        leaderDead().engine(Engine.MARIADB),
                        Failover.class, "b", "leader a down: unreachable (REFUSED) for [m1, m2, m3] for at least 1.5 s"),
                row("MariaDB semi-synchronous (ANY 1): fails over by the same rules",
                        leaderDead().engine(Engine.MARIADB).synchronousAny(1),
                        Failover.class, "b", "leader a down"),
                row("MariaDB semi-synchronous with a follower unreachable: cannot be sure, refuse",
                        deadLeader().engine(Engine.MARIADB).synchronousAny(1).unreachable("c", "m1", 100)
                                .unreachable("c", "m2", 100).follower("b", "m1", 100, LEADER_LSN, LEADER_LSN),
                        Refuse.class, null, "synchronous ANY 1 of 2 standbys needs 2 reachable to be sure one holds "),
                row("MariaDB: lag counts transactions",
                        Scenario.threeNodes().gtidLeaderDead("0-1-50").gtidFollower("b", "m1", 100, "0-1-50", "0-1-50")
                                .gtidFollower("c", "m1", 100, "0-1-48", "0-1-49"),
                        Failover.class, "b", "b (received 50, lag 0 transactions, priority 100) > c (received 49, lag 1 "
                                + "transactions, priority 100)"),
                row("MariaDB: a follower written to directly is never promoted, though one number ranks it first",
                        new Scenario().node("a", NodeRole.LEADER, 100).node("b", NodeRole.FOLLOWER, 100)
                                .node("c", NodeRole.FOLLOWER, 200).gtidLeaderDead("0-1-45")
                                .gtidFollower("b", "m1", 100, "0-1-45", "0-1-45")
                                .gtidFollower("c", "m1", 100, "0-1-44,0-3-45", "0-1-44,0-3-45"),
                        Failover.class, "b", "excluded c: holds transaction(s) [0-3-45] that leader a never had "
                                + "(errant writes on it): promoting it would hand them to every node - remove them or "
                                + "rebuild it"),
                row("MariaDB: the leader's own writes after its last probe are not errant",
                        Scenario.threeNodes().gtidLeaderDead("0-1-40,0-2-45")
                                .gtidFollower("b", "m1", 100, "0-1-40,0-2-47", "0-1-40,0-2-48")
                                .gtidFollower("c", "m1", 100, "0-1-40,0-2-46", "0-1-40,0-2-46"),
                        Failover.class, "b", "promoting b as the best candidate: b (received 48"),
                row("MariaDB: leader never seen healthy and the candidates diverged: refuse, naming what each lacks",
                        Scenario.threeNodes().gtidLeaderDead(null).gtidFollower("b", "m1", 100, "0-1-45", "0-1-45")
                                .gtidFollower("c", "m1", 100, "0-1-44,0-3-45", "0-1-44,0-3-45"),
                        Refuse.class, null, "the candidates have diverged - none holds every transaction the others "
                                + "hold (b lacks 0-3-45 (on c), c lacks 0-1-45 (on b)): promoting any would silently "
                                + "drop some; resolve the divergence, or exclude a node (priority 0 or tag 'nofailover') "
                                + "and let Regent fail over to the rest"),
                row("MariaDB semi-synchronous: what a follower received and still owes counts, not what it applied",
                        Scenario.threeNodes().gtidLeaderDead("0-1-50").synchronousAny(1)
                                .gtidFollower("b", "m1", 100, "0-1-49", "0-1-52")
                                .gtidFollower("c", "m1", 100, "0-1-51", "0-1-51"),
                        Failover.class, "b", "promoting b as the best candidate: b (received 52"),
                row("MariaDB with ANY 2 is only observed: it waits for one acknowledgement at most",
                        leaderDead().engine(Engine.MARIADB).synchronousAny(2),
                        NoAction.class, null, "cluster orders runs MARIADB with synchronous replication (ANY 2), which "
                                + "this version of Regent cannot keep for MARIADB after a failover"),
                row("a running operation is finished first",
                        leaderDead().running(UUID.fromString("00000000-0000-0000-0000-000000000001")),
                        Wait.class, null, "operation 00000000-0000-0000-0000-000000000001 of cluster orders is still running"),
                row("blind: the newest observation is 10 s old",
                        withFollowersAgo(Scenario.threeNodes().leaderUp("a", "m1", 10_000), 10_000),
                        NoAction.class, null, "blind: no agent reported on cluster orders in the last 3 s"),
                row("blind even when the last news was a failed probe",
                        withFollowersAgo(Scenario.threeNodes().leaderDown("a", "m1", 9_000, 8_000, 5_000, REFUSED)
                                .leaderDown("a", "m2", 9_000, 8_000, 5_000, REFUSED), 6_000),
                        NoAction.class, null, "not evidence of a failure"),
                row("kill -9: quorum down for the window, followers level, name decides",
                        leaderDead(),
                        Failover.class, "b", "leader a down: unreachable (REFUSED) for [m1, m2, m3] for at least 1.5 s"),
                row("timeouts are weak evidence: a leader that only timed out needs twice the window",
                        withFollowers(Scenario.threeNodes().leaderDown("a", "m1", 2_800, 2_000, 200, TIMEOUT)
                                .leaderDown("a", "m2", 2_800, 1_800, 100, TIMEOUT)),
                        Wait.class, null, "m1 for 2000 ms (3 probes, timeouts: needs 3 s), m2 for 1800 ms (3 probes, "
                                + "timeouts: needs 3 s)"),
                row("a frozen leader that timed out for twice the window is down",
                        withFollowers(Scenario.threeNodes().leaderDown("a", "m1", 4_000, 3_200, 200, TIMEOUT)
                                .leaderDown("a", "m2", 4_000, 3_100, 100, TIMEOUT)),
                        Failover.class, "b", "unreachable (TIMEOUT) for [m1, m2] for at least 3 s"),
                row("one failed probe per agent is not a failure, however long ago it began",
                        withFollowers(Scenario.threeNodes().leaderDown("a", "m1", 4_000, 2_000, 2_000, REFUSED)
                                .leaderDown("a", "m2", 4_000, 1_900, 1_900, REFUSED)),
                        Wait.class, null, "m1 for 2000 ms (1 probe), m2 for 1900 ms (1 probe)"),
                row("AUTH is an answer: a leader that rejects Regent's role is alive",
                        withFollowers(Scenario.threeNodes().answeredWith("a", "m1", 200, AUTH)
                                .answeredWith("a", "m2", 300, AUTH).answeredWith("a", "m3", 400, AUTH)),
                        NoAction.class, null, "leader a answers but is unhealthy (AUTH for m1, AUTH for m2, AUTH for m3)"
                                + ": it is alive, which is no reason to fail over"),
                row("too many connections is an answer: a busy leader is alive",
                        withFollowers(Scenario.threeNodes().answeredWith("a", "m1", 200, BUSY)
                                .answeredWith("a", "m2", 300, SLOW)),
                        NoAction.class, null, "leader a answers but is unhealthy (BUSY for m1, SLOW for m2)"),
                row("an answer inside the window, even an AUTH error, outweighs refusals",
                        withFollowers(Scenario.threeNodes().leaderDown("a", "m1", -1, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", -1, 2_000, 100, REFUSED).answeredWith("a", "m3", 600, AUTH)),
                        Wait.class, null, "but m3 had an answer from it (AUTH) 600 ms ago"),
                row("one blinded agent never causes a failover",
                        withFollowers(Scenario.threeNodes().leaderDown("a", "m1", 9_000, 8_000, 100, TIMEOUT)
                                .leaderUp("a", "m2", 300).leaderUp("a", "m3", 500)),
                        Wait.class, null, "but m2 reached it 300 ms ago"),
                row("below quorum: one agent down, the others silent about the leader",
                        withFollowers(Scenario.threeNodes().leaderDown("a", "m1", 3_000, 2_500, 100, REFUSED)),
                        Wait.class, null, "1 of the 2 agents required have seen it down for the whole detection window (1.5 s, 3 s when it "
                                + "only timed out) and at least 2 probes"),
                row("down for less than the window (agents that never reached it)",
                        withFollowers(Scenario.threeNodes().leaderDown("a", "m1", -1, 1_000, 100, REFUSED)
                                .leaderDown("a", "m2", -1, 900, 50, REFUSED)),
                        Wait.class, null, "m1 for 1000 ms (2 probes), m2 for 900 ms (2 probes)"),
                row("a successful probe inside the window is a contrary sighting",
                        withFollowers(Scenario.threeNodes().leaderDown("a", "m1", 2_500, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_500, 2_000, 100, REFUSED)
                                .leaderDown("a", "m3", 1_000, 900, 100, REFUSED)),
                        Wait.class, null, "but m3 reached it 1000 ms ago"),
                row("follower witness: a follower heard the leader 500 ms ago",
                        Scenario.threeNodes().leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)
                                .followerHearing("b", "m1", 100, LEADER_LSN, LEADER_LSN, 500)
                                .follower("c", "m1", 100, LEADER_LSN, LEADER_LSN),
                        Wait.class, null, "follower b received WAL from it 500 ms ago"),
                row("follower witness, MariaDB: a follower read from the leader 500 ms ago",
                        Scenario.threeNodes().engine(Engine.MARIADB).leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)
                                .followerHearing("b", "m1", 100, LEADER_LSN, LEADER_LSN, 500)
                                .follower("c", "m1", 100, LEADER_LSN, LEADER_LSN),
                        Wait.class, null, "follower b received binlog events from it 500 ms ago, inside the 1.5 s "
                                + "detection window: it is alive, the agents are cut off"),
                row("a follower that last heard the leader before the window is no witness",
                        Scenario.threeNodes().leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)
                                .followerHearing("b", "m1", 100, LEADER_LSN, LEADER_LSN, 2_100)
                                .follower("c", "m1", 100, LEADER_LSN, LEADER_LSN),
                        Failover.class, "b", "promoting b as the best candidate"),
                row("clocks: two agents 2 s behind and one 2 s ahead see a dead leader as it is",
                        withFollowers(Scenario.threeNodes().agentClock("m1", -2_000).agentClock("m2", -2_000)
                                .agentClock("m3", 2_000).leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_500, 2_200, 200, REFUSED)
                                .leaderDown("a", "m3", 2_100, 1_900, 300, REFUSED)),
                        Failover.class, "b", "leader a down: unreachable (REFUSED) for [m1, m2, m3] for at least 1.5 s"),
                row("clocks: agents 1.5 s behind - two failed probes 600 ms apart are 600 ms of trouble, not 2.1 s",
                        withFollowers(Scenario.threeNodes().agentClock("m1", -1_500).agentClock("m2", -1_500)
                                .leaderDown("a", "m1", -1, 700, 100, REFUSED)
                                .leaderDown("a", "m2", -1, 700, 100, REFUSED)),
                        Wait.class, null, "leader a unreachable (m1 for 700 ms (2 probes), m2 for 700 ms (2 probes))"),
                row("clocks: an agent 5 s behind still brings fresh news - its probes arrived just now",
                        withFollowers(Scenario.threeNodes().agentClock("m1", -5_000).agentClock("m2", 4_000)
                                .leaderUp("a", "m1", 200).leaderUp("a", "m2", 300)),
                        NoAction.class, null, "leader a is healthy (reached by [m1, m2])"),
                row("clocks: a follower 3 s behind still witnesses that it heard the leader 500 ms ago",
                        Scenario.threeNodes().serverClock("b", -3_000)
                                .leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)
                                .followerHearing("b", "m1", 100, LEADER_LSN, LEADER_LSN, 500)
                                .follower("c", "m1", 100, LEADER_LSN, LEADER_LSN),
                        Wait.class, null, "follower b received WAL from it 500 ms ago"),
                row("followers' positions older than the leader's last answer: wait for newer ones",
                        Scenario.threeNodes().leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)
                                .follower("b", "m1", 2_600, LEADER_LSN, LEADER_LSN)
                                .follower("c", "m1", 2_500, LEADER_LSN, LEADER_LSN),
                        Wait.class, null, "but leader a last answered 2300 ms ago, after the newest positions of b (its "
                                + "newest position arrived 2600 ms ago), c (its newest position arrived 2500 ms ago)"),
                row("a follower streaming from another node is no candidate and no witness",
                        deadLeader().followerStreaming("c", "m1", 100, LEADER_LSN, LEADER_LSN, 300, "b", 1L)
                                .follower("b", "m1", 100, LEADER_LSN - 10, LEADER_LSN - 10),
                        Failover.class, "b", "excluded c: replicates from 127.0.0.1:5401, not from leader a "
                                + "(127.0.0.1:5400) - not re-pointed"),
                row("a follower on another timeline than the leader's is no candidate",
                        deadLeader().followerStreaming("c", "m1", 100, LEADER_LSN, LEADER_LSN, 60_000, "a", 2L)
                                .follower("b", "m1", 100, LEADER_LSN - 10, LEADER_LSN - 10),
                        Failover.class, "b", "excluded c: receives timeline 2 but leader a is on timeline 1"),
                row("the leader seen asynchronous while the registry says ANY 1: no automatic failover",
                        withFollowers(Scenario.threeNodes().synchronousAny(1).leaderWaitsFor("")
                                .leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)),
                        Refuse.class, null, "the registry says synchronous ANY 1 but leader a was last seen with "
                                + "synchronous_standby_names '' (asynchronous): acknowledged commits may be on fewer "
                                + "standbys than the registry promises, so no automatic failover until they agree"),
                row("the leader's own list counts: ANY 1 of b, c and d needs all three reachable",
                        withFollowers(Scenario.threeNodes().synchronousAny(1).leaderWaitsFor("ANY 1 (b, c, d)")
                                .leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)),
                        Refuse.class, null, "leader a was last seen waiting for ANY 1 of 3 standbys [b, c, d] "
                                + "(synchronous_standby_names 'ANY 1 (b, c, d)'): 3 of them must be reachable to be sure "
                                + "one holds every acknowledged commit, but only 2 [b, c] are"),
                row("a standby waiting to rejoin can acknowledge commits: it counts, whatever its registry role",
                        new Scenario().node("d", NodeRole.LEADER, 100).node("a", NodeRole.LEADER, 100)
                                .node("b", NodeRole.FOLLOWER, 100).leader("a").synchronousAny(1)
                                .leaderWaitsFor("ANY 1 (b, d)")
                                .leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)
                                .follower("b", "m1", 100, LEADER_LSN - 10, LEADER_LSN - 10)
                                .follower("d", "m1", 100, LEADER_LSN, LEADER_LSN),
                        Refuse.class, null, "synchronous cluster: b lacks WAL up to 50000000 (on d), which reachable "
                                + "followers hold"),
                row("the leader seen waiting for ANY 1 of its two followers, both reachable: the most advanced",
                        Scenario.threeNodes().synchronousAny(1).leaderWaitsFor("ANY 1 (\"b\", \"c\")")
                                .leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)
                                .follower("b", "m1", 100, LEADER_LSN - 5, LEADER_LSN - 5)
                                .follower("c", "m1", 100, LEADER_LSN, LEADER_LSN),
                        Failover.class, "c", "promoting c as the best candidate"),
                row("automatic failover switched off",
                        leaderDead().policy(p -> policy(p, false, p.minFailoverInterval(), p.rpoZeroRequired())),
                        NoAction.class, null, "but automatic failover is off for cluster orders"),
                row("anti-flapping: the previous failover was a minute ago",
                        leaderDead().lastFailover(Duration.ofMinutes(1)),
                        Wait.class, null, "automatic failovers are at least 300 s apart (anti-flapping)"),
                row("anti-flapping interval elapsed",
                        leaderDead().lastFailover(Duration.ofMinutes(6)),
                        Failover.class, "b", "promoting b"),
                row("the follower with the most WAL received wins",
                        deadLeader().follower("b", "m1", 100, LEADER_LSN - 500_000, LEADER_LSN - 500_000)
                                .follower("c", "m1", 100, LEADER_LSN - 1_000, LEADER_LSN - 900_000),
                        Failover.class, "c", "c (received 49999000, lag 1000 B, priority 100) > b"),
                row("equal received: the most replayed wins",
                        deadLeader().follower("b", "m1", 100, LEADER_LSN, LEADER_LSN - 2_000)
                                .follower("c", "m1", 100, LEADER_LSN, LEADER_LSN - 1_000),
                        Failover.class, "c", "promoting c as the best candidate"),
                row("equal positions: the higher priority wins",
                        new Scenario().node("a", NodeRole.LEADER, 100).node("b", NodeRole.FOLLOWER, 100)
                                .node("c", NodeRole.FOLLOWER, 200).leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)
                                .follower("b", "m1", 100, LEADER_LSN, LEADER_LSN)
                                .follower("c", "m1", 100, LEADER_LSN, LEADER_LSN),
                        Failover.class, "c", "c (received 50000000, lag 0 B, priority 200) > b"),
                row("priority 0 is never promoted, however advanced",
                        new Scenario().node("a", NodeRole.LEADER, 100).node("b", NodeRole.FOLLOWER, 0)
                                .node("c", NodeRole.FOLLOWER, 100).leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)
                                .follower("b", "m1", 100, LEADER_LSN, LEADER_LSN)
                                .follower("c", "m1", 100, LEADER_LSN - 10, LEADER_LSN - 10),
                        Failover.class, "c", "excluded b: priority 0 (never promoted)"),
                row("a node tagged nofailover is excluded",
                        new Scenario().node("a", NodeRole.LEADER, 100).node("b", NodeRole.FOLLOWER, 100, "nofailover")
                                .node("c", NodeRole.FOLLOWER, 100).leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)
                                .follower("b", "m1", 100, LEADER_LSN, LEADER_LSN)
                                .follower("c", "m1", 100, LEADER_LSN - 10, LEADER_LSN - 10),
                        Failover.class, "c", "excluded b: tagged 'nofailover'"),
                row("a follower lagging beyond the limit is excluded",
                        deadLeader().follower("b", "m1", 100, LEADER_LSN - 20 * MIB, LEADER_LSN - 20 * MIB)
                                .follower("c", "m1", 100, LEADER_LSN - MIB, LEADER_LSN - MIB),
                        Failover.class, "c", "b: 20971520 B behind the leader's last known position, above the limit of 16777216 B"),
                row("every follower lagging beyond the limit: refuse",
                        deadLeader().follower("b", "m1", 100, LEADER_LSN - 20 * MIB, LEADER_LSN - 20 * MIB)
                                .follower("c", "m1", 100, LEADER_LSN - 30 * MIB, LEADER_LSN - 30 * MIB),
                        Refuse.class, null, "no follower can be promoted; excluded b: 20971520 B behind"),
                row("a follower unreachable for a quorum is excluded",
                        deadLeader().unreachable("b", "m1", 100).unreachable("b", "m2", 200)
                                .follower("b", "m3", 2_000, LEADER_LSN, LEADER_LSN)
                                .follower("c", "m1", 100, LEADER_LSN - 10, LEADER_LSN - 10),
                        Failover.class, "c", "excluded b: unreachable for 2 agents"),
                row("a follower with only stale observations is excluded",
                        deadLeader().follower("b", "m1", 10_000, LEADER_LSN, LEADER_LSN)
                                .follower("c", "m1", 100, LEADER_LSN - 10, LEADER_LSN - 10),
                        Failover.class, "c", "excluded b: no agent reached it in the last 3 s"),
                row("a node waiting to rejoin is not a candidate",
                        new Scenario().node("d", NodeRole.LEADER, 100).node("a", NodeRole.LEADER, 100)
                                .node("b", NodeRole.FOLLOWER, 100).leader("a")
                                .leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)
                                .follower("b", "m1", 100, LEADER_LSN - 10, LEADER_LSN - 10)
                                .follower("d", "m1", 100, LEADER_LSN, LEADER_LSN),
                        Failover.class, "b", "excluded d: registry role NEEDS_REJOIN"),
                row("synchronous ANY 1 of 2 with one follower unreachable: cannot be sure, refuse",
                        deadLeader().synchronousAny(1).unreachable("c", "m1", 100).unreachable("c", "m2", 100)
                                .follower("b", "m1", 100, LEADER_LSN, LEADER_LSN),
                        Refuse.class, null, "synchronous ANY 1 of 2 standbys needs 2 reachable to be sure one holds "
                                + "every acknowledged commit, but only 1 ([b]) are reachable"),
                row("synchronous ANY 1 of 2 with both reachable: the most advanced",
                        deadLeader().synchronousAny(1).follower("b", "m1", 100, LEADER_LSN - 100, LEADER_LSN - 100)
                                .follower("c", "m1", 100, LEADER_LSN, LEADER_LSN - 300),
                        Failover.class, "c", "promoting c as the best candidate"),
                row("synchronous ANY 2 of 2: one reachable standby has every commit",
                        deadLeader().synchronousAny(2).unreachable("c", "m1", 100).unreachable("c", "m2", 100)
                                .follower("b", "m1", 100, LEADER_LSN, LEADER_LSN),
                        Failover.class, "b", "promoting b"),
                row("synchronous: refuse when the most advanced follower is excluded",
                        new Scenario().node("a", NodeRole.LEADER, 100).node("b", NodeRole.FOLLOWER, 0)
                                .node("c", NodeRole.FOLLOWER, 100).synchronousAny(1)
                                .leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)
                                .follower("b", "m1", 100, LEADER_LSN, LEADER_LSN)
                                .follower("c", "m1", 100, LEADER_LSN - 10, LEADER_LSN - 10),
                        Refuse.class, null, "synchronous cluster: c lacks WAL up to 50000000 (on b), which reachable "
                                + "followers hold, so promoting it could lose acknowledged commits"),
                row("RPO zero required on an asynchronous cluster: refuse",
                        leaderDead().policy(p -> policy(p, true, p.minFailoverInterval(), true)),
                        Refuse.class, null, "RPO zero is required but replication is asynchronous"),
                row("zombie: an old leader accepting writes is fenced",
                        withFollowers(new Scenario().node("d", NodeRole.LEADER, 100).node("a", NodeRole.LEADER, 100)
                                .node("b", NodeRole.FOLLOWER, 100).node("c", NodeRole.FOLLOWER, 100).leader("a")
                                .leaderUp("a", "m1", 100).leaderUp("a", "m2", 100).writableLeader("d", "m2", 300)),
                        Fence.class, "d", "node d accepts writes as a leader (seen by m2 at"),
                row("proven dead: its own agent finds no server process, a quorum refused twice - no window to wait out",
                        withFollowers(Scenario.threeNodes().nodeAgentFindsServerGone("a", 1_400, 1_200)
                                .leaderDown("a", "m1", 1_400, 1_100, 100, REFUSED)),
                        Failover.class, "b", "leader a down: its server process is gone (no postmaster, found by its own "
                                + "agent node-a in 2 probes over 1200 ms) and [m1, node-a] were refused (REFUSED) since, "
                                + "with no answer and no follower hearing from it: proven dead, not waiting out the 1.5 s "
                                + "detection window"),
                row("not proven dead: the own agent found the process gone once only - the window decides",
                        withFollowers(Scenario.threeNodes().nodeAgentFindsServerGone("a", 1_400, 300)
                                .leaderDown("a", "m1", 1_400, 1_100, 100, REFUSED)),
                        Wait.class, null, "leader a unreachable for [m1, node-a] but"),
                row("not proven dead: the own agent's process table says nothing (not known) - the window decides",
                        withFollowers(Scenario.threeNodes().nodeAgentDown("a", 1_400, 1_200)
                                .leaderDown("a", "m1", 1_400, 1_100, 100, REFUSED)),
                        Wait.class, null, "leader a unreachable for [m1, node-a] but"),
                row("not proven dead: the other agents only time out (a partition looks so) - the window decides",
                        withFollowers(Scenario.threeNodes().nodeAgentFindsServerGone("a", 1_400, 1_200)
                                .leaderDown("a", "m1", 1_400, 1_100, 100, TIMEOUT)
                                .leaderDown("a", "m2", 1_400, 1_100, 100, TIMEOUT)),
                        Wait.class, null, "leader a unreachable for [m1, m2, node-a] but"),
                row("not proven dead: a follower heard from it after the own agent's run began",
                        Scenario.threeNodes().nodeAgentFindsServerGone("a", 1_600, 1_200)
                                .leaderDown("a", "m1", 1_600, 1_500, 100, REFUSED)
                                .followerHearing("b", "m1", 150, LEADER_LSN, LEADER_LSN, 500)
                                .follower("c", "m1", 150, LEADER_LSN, LEADER_LSN),
                        Wait.class, null, "1 of the 2 agents required have seen it down for the whole detection window"),
                row("an old leader already read-only is left alone",
                        withFollowers(new Scenario().node("d", NodeRole.LEADER, 100).node("a", NodeRole.LEADER, 100)
                                .node("b", NodeRole.FOLLOWER, 100).node("c", NodeRole.FOLLOWER, 100).leader("a")
                                .leaderUp("a", "m1", 100).leaderUp("a", "m2", 100).readOnlyLeader("d", "m2", 300)),
                        NoAction.class, null, "leader a is healthy"),
                row("fencing waits while the cluster is in maintenance",
                        withFollowers(new Scenario().node("d", NodeRole.LEADER, 100).node("a", NodeRole.LEADER, 100)
                                .node("b", NodeRole.FOLLOWER, 100).leader("a").maintenance()
                                .leaderUp("a", "m1", 100).writableLeader("d", "m2", 300)),
                        NoAction.class, null, "in maintenance"),
                row("a leaderless cluster needs a person",
                        withFollowers(Scenario.threeNodes().leader(null)),
                        NoAction.class, null, "cluster orders has no leader at epoch 7"),
                row("failed probes from a vanished agent do not count",
                        withFollowers(Scenario.threeNodes().leaderDown("a", "m1", 12_000, 10_000, 5_000, REFUSED)
                                .leaderUp("a", "m2", 100)),
                        NoAction.class, null, "leader a is healthy (reached by [m2])"),
                row("agents report followers but not yet the leader",
                        withFollowers(Scenario.threeNodes()),
                        Wait.class, null, "no fresh observation of leader a yet"),
                row("quorum of 3 needs the third agent",
                        withFollowers(deadLeader()).policy(p -> new ClusterPolicy(true, p.detectionWindow(), 3,
                                p.maxLagOnFailoverBytes(), false, p.minFailoverInterval(), p.observationMaxAge())),
                        Wait.class, null, "2 of the 3 agents required have seen it down"));
    }

    static Stream<Arguments> requested() {
        return Stream.of(
                row("a stale expected epoch is refused",
                        withFollowers(Scenario.threeNodes().leaderUp("a", "m1", 100)), request(6L, null),
                        Refuse.class, null, "requested for epoch 6 but cluster orders is at epoch 7 (leader a)"),
                row("a live leader hands over to the chosen follower with the switchover's barrier: nothing is lost",
                        withFollowers(Scenario.threeNodes().leaderUp("a", "m1", 100)), request(7L, "c"),
                        Decision.Switchover.class, "c", "failover requested by alice (drill); leader a answers, so it "
                                + "hands over with the switchover's write barrier and catch-up; handing over to c as "
                                + "requested"),
                row("followers' positions older than the leader's last answer: refused, with when to ask again",
                        Scenario.threeNodes().leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .follower("b", "m1", 2_600, LEADER_LSN, LEADER_LSN)
                                .follower("c", "m1", 2_500, LEADER_LSN, LEADER_LSN), request(7L, null),
                        Refuse.class, null, "leader a last answered 2300 ms ago, after the newest positions of b (its "
                                + "newest position arrived 2600 ms ago), c (its newest position arrived 2500 ms ago): "
                                + "waiting for probes that postdate it, so no commit acknowledged in between goes unseen; "
                                + "request again in a moment"),
                row("a person's request reckons with what the leader was seen waiting for, not the registry",
                        withFollowers(Scenario.threeNodes().synchronousAny(1).leaderWaitsFor("")
                                .leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED)), request(7L, null),
                        Failover.class, "b", "promoting b as the best candidate"),
                row("no candidate named: the best one",
                        deadLeader().follower("b", "m1", 100, LEADER_LSN - 5, LEADER_LSN - 5)
                                .follower("c", "m1", 100, LEADER_LSN, LEADER_LSN), request(null, null),
                        Failover.class, "c", "promoting c as the best candidate"),
                row("a chosen follower with priority 0 is refused with the rule",
                        withFollowers(new Scenario().node("a", NodeRole.LEADER, 100).node("b", NodeRole.FOLLOWER, 0)
                                .node("c", NodeRole.FOLLOWER, 100).leaderUp("a", "m1", 100)), request(7L, "b"),
                        Refuse.class, null, "the requested candidate cannot be promoted: b: priority 0"),
                row("MariaDB semi-synchronous: a requested follower lacking what another holds is refused",
                        Scenario.threeNodes().gtidLeaderDead("0-1-50").synchronousAny(1)
                                .gtidFollower("b", "m1", 100, "0-1-49", "0-1-49")
                                .gtidFollower("c", "m1", 100, "0-1-50", "0-1-50"), request(7L, "b"),
                        Refuse.class, null, "synchronous cluster: b lacks 0-1-50 (on c), which reachable followers "
                                + "hold, so promoting it could lose acknowledged commits"),
                row("MariaDB: a requested follower with errant transactions is refused with them",
                        Scenario.threeNodes().gtidLeaderDead("0-1-45").gtidFollower("b", "m1", 100, "0-1-45", "0-1-45")
                                .gtidFollower("c", "m1", 100, "0-1-44,0-3-45", "0-1-44,0-3-45"), request(7L, "c"),
                        Refuse.class, null, "the requested candidate cannot be promoted: c: holds transaction(s) "
                                + "[0-3-45] that leader a never had"),
                row("an unknown node is refused",
                        withFollowers(Scenario.threeNodes().leaderUp("a", "m1", 100)), request(7L, "zz"),
                        Refuse.class, null, "'zz' is not a node of cluster orders"),
                row("the leader itself is not a candidate",
                        withFollowers(Scenario.threeNodes().leaderUp("a", "m1", 100)), request(7L, "a"),
                        Refuse.class, null, "a: it is the current leader"),
                row("not while another operation runs",
                        withFollowers(Scenario.threeNodes().leaderUp("a", "m1", 100))
                                .running(UUID.fromString("00000000-0000-0000-0000-000000000002")), request(7L, "b"),
                        Refuse.class, null, "operation 00000000-0000-0000-0000-000000000002 of cluster orders is still "
                                + "running; request again"),
                row("RPO-zero math still applies to a requested failover",
                        deadLeader().synchronousAny(1).unreachable("c", "m1", 100).unreachable("c", "m2", 100)
                                .follower("b", "m1", 100, LEADER_LSN, LEADER_LSN), request(7L, "b"),
                        Refuse.class, null, "needs 2 reachable"));
    }

    static Stream<Arguments> switchovers() {
        Scenario healthy = withFollowers(Scenario.threeNodes().leaderUp("a", "m1", 100).leaderUp("a", "m2", 200));
        return Stream.of(
                Arguments.of("to a chosen follower of a healthy leader", healthy, switchover(7L, "a", "c"),
                        Decision.Switchover.class, "c", "switchover requested by alice (planned); handing over to c "
                                + "as requested"),
                Arguments.of("to the best follower when none is named",
                        Scenario.threeNodes().leaderUp("a", "m1", 100).follower("b", "m1", 100, LEADER_LSN - 9, 0)
                                .follower("c", "m1", 100, LEADER_LSN, LEADER_LSN), switchover(null, null, null),
                        Decision.Switchover.class, "c", "handing over to c as the best candidate"),
                Arguments.of("not from a dead leader: that is a failover", withFollowers(deadLeader()),
                        switchover(7L, "a", "b"), Refuse.class, null,
                        "leader a is not seen healthy by any agent in the last 3 s; a switchover needs a live leader"),
                Arguments.of("not on an engine without actions", withFollowers(Scenario.threeNodes()
                                .leaderUp("a", "m1", 100).leaderUp("a", "m2", 200)).engine(Engine.MONGODB),
                        switchover(7L, "a", "c"), Refuse.class, null,
                        "cluster orders runs MONGODB: this version of Regent observes it but has no failover "
                                + "actions for it yet"),
                Arguments.of("MariaDB: by the same rules", withFollowers(Scenario.threeNodes()
                                .leaderUp("a", "m1", 100).leaderUp("a", "m2", 200)).engine(Engine.MARIADB),
                        switchover(7L, "a", "c"), Decision.Switchover.class, "c", "handing over to c as requested"),
                Arguments.of("not when the leader changed since the request", healthy, switchover(7L, "b", "c"),
                        Refuse.class, null, "switchover requested from b but the leader of cluster orders is a"),
                Arguments.of("not when the epoch changed since the request", healthy, switchover(5L, "a", "c"),
                        Refuse.class, null, "switchover requested for epoch 5 but cluster orders is at epoch 7"),
                Arguments.of("planned: synchronous with a standby down is still safe",
                        Scenario.threeNodes().synchronousAny(1).leaderUp("a", "m1", 100)
                                .follower("b", "m1", 100, LEADER_LSN, LEADER_LSN).unreachable("c", "m1", 100)
                                .unreachable("c", "m2", 100), switchover(7L, "a", "b"),
                        Decision.Switchover.class, "b", "handing over to b as requested"),
                Arguments.of("not to a follower with priority 0",
                        withFollowers(new Scenario().node("a", NodeRole.LEADER, 100).node("b", NodeRole.FOLLOWER, 0)
                                .node("c", NodeRole.FOLLOWER, 100).leaderUp("a", "m1", 100)), switchover(7L, "a", "b"),
                        Refuse.class, null, "the requested candidate cannot be promoted: b: priority 0"),
                Arguments.of("not while another operation runs",
                        withFollowers(Scenario.threeNodes().leaderUp("a", "m1", 100))
                                .running(UUID.fromString("00000000-0000-0000-0000-000000000003")),
                        switchover(7L, "a", "b"), Refuse.class, null, "is still running"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("switchovers")
    void decidesSwitchovers(String name, Scenario scenario, SwitchoverRequested request,
            Class<? extends Decision> kind, String node, String reason) {
        assertDecision(Decider.decideSwitchover(scenario.snapshot(), request, NOW), kind, node, reason);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("automatic")
    void decidesAutomatically(String name, Scenario scenario, Object ignored, Class<? extends Decision> kind,
            String node, String reason) {
        assertDecision(Decider.decide(scenario.snapshot(), NOW), kind, node, reason);
    }

    /** After a failover from a to b: a (registry role NEEDS_REJOIN) is dead, its own agent alive; b is healthy. */
    private static Scenario replacedLeader() {
        return Scenario.threeNodes().leader("b").leaderUp("b", "m1", 200).leaderUp("b", "m2", 300)
                .follower("c", "m1", 150, LEADER_LSN, LEADER_LSN);
    }

    static Stream<Arguments> rejoins() {
        return Stream.of(
                row("nothing to heal", withFollowers(Scenario.threeNodes().leaderUp("a", "m1", 200)),
                        NoAction.class, null, "no node of cluster orders needs a rejoin"),
                row("a follower streaming from another node for 12 s (its re-point failed): rewound onto the leader",
                        Scenario.threeNodes().leaderUp("a", "m1", 200).nodeAgentSeesFollower("c", "b", 12_300),
                        Decision.Rejoin.class, "c", "c replicates from 127.0.0.1:5401, not from leader a "
                                + "(127.0.0.1:5400) - not re-pointed, for at least 10 s; its agent "
                                + "(http://127.0.0.1:8790) is up and leader a is healthy: rewind it into a follower of a"),
                row("a follower streaming from no one for 12 s: rewound onto the leader",
                        Scenario.threeNodes().leaderUp("a", "m1", 200).nodeAgentSeesFollower("c", null, 12_300),
                        Decision.Rejoin.class, "c", "c streams from no one, for at least 10 s; its agent"),
                row("a follower re-pointed 3 s ago, not connected yet: given time",
                        Scenario.threeNodes().leaderUp("a", "m1", 200).nodeAgentSeesFollower("c", "b", 12_300)
                                .nodeAgentSeesFollower("c", null, 3_000),
                        NoAction.class, null, "no node of cluster orders needs a rejoin"),
                row("a follower streaming from the leader is left alone",
                        Scenario.threeNodes().leaderUp("a", "m1", 200).nodeAgentSeesFollower("c", "a", 12_300),
                        NoAction.class, null, "no node of cluster orders needs a rejoin"),
                row("the replaced leader's agent is up and the leader healthy: rejoin it",
                        replacedLeader().nodeAgent("a", 400, false),
                        Decision.Rejoin.class, "a", "a was replaced as leader and needs a rejoin; its agent "
                                + "(http://127.0.0.1:8770) is up and leader b is healthy"),
                row("no rejoin on an engine without actions",
                        replacedLeader().nodeAgent("a", 400, false).engine(Engine.MONGODB),
                        NoAction.class, null, "cluster orders runs MONGODB: this version of Regent observes it"),
                row("one rejoin at a time",
                        replacedLeader().nodeAgent("a", 400, false).bookkeeping(new Bookkeeping(null, -1,
                                java.util.Map.of(), null, true, null)),
                        Wait.class, null, "a rejoin of cluster orders is running; one at a time"),
                row("after a rejoin ended, the next waits",
                        replacedLeader().nodeAgent("a", 400, false).bookkeeping(new Bookkeeping(null, -1,
                                java.util.Map.of(), null, false, NOW.plusSeconds(20))),
                        Wait.class, null, "the last rejoin of cluster orders ended a moment ago; the next may start at "
                                + NOW.plusSeconds(20)),
                row("after a rejoin ended, with no node waiting: nothing to wait for",
                        Scenario.threeNodes().leaderUp("a", "m1", 200).nodeAgentSeesFollower("c", "a", 12_300)
                                .bookkeeping(new Bookkeeping(null, -1, java.util.Map.of(), null, false,
                                        NOW.plusSeconds(20))),
                        NoAction.class, null, "no node of cluster orders needs a rejoin"),
                row("MariaDB: a replaced leader that answers rejoins from the control plane, no agent needed",
                        replacedLeader().readOnlyLeader("a", "m1", 100).engine(Engine.MARIADB),
                        Decision.Rejoin.class, "a", "a was replaced as leader and needs a rejoin; it answers and "
                                + "leader b is healthy: check it for transactions b lacks, then make it follow b"),
                row("MariaDB: a replaced leader that is down waits, whatever agent runs next to it",
                        replacedLeader().nodeAgent("a", 400, false).unreachable("a", "m1", 100).engine(Engine.MARIADB),
                        Wait.class, null, "[a] need a rejoin, but none is reachable in the last 3 s; a replaced leader "
                                + "rejoins once it answers"),
                row("the replaced leader still runs (fenced): rejoin it all the same",
                        replacedLeader().nodeAgent("a", 400, true),
                        Decision.Rejoin.class, "a", "rewind it into a follower of b"),
                row("automatic rejoin off for the cluster",
                        replacedLeader().nodeAgent("a", 400, false).policy(p -> new ClusterPolicy(p.automatic(),
                                p.detectionWindow(), p.observerQuorum(), p.maxLagOnFailoverBytes(), p.rpoZeroRequired(),
                                p.minFailoverInterval(), p.observationMaxAge(), false, p.followerRepairAfter())),
                        NoAction.class, null, "[a] need a rejoin, but automatic rejoin is off for cluster orders"),
                row("maintenance: no rejoin", replacedLeader().nodeAgent("a", 400, false).maintenance(),
                        NoAction.class, null, "cluster orders is in maintenance: no node is rejoined"),
                row("a running operation first",
                        replacedLeader().nodeAgent("a", 400, false)
                                .running(UUID.fromString("00000000-0000-0000-0000-000000000002")),
                        Wait.class, null, "operation 00000000-0000-0000-0000-000000000002 of cluster orders is "
                                + "still running; rejoins wait for it"),
                row("the new leader is not reachable: nothing to rewind from",
                        Scenario.threeNodes().leader("b").unreachable("b", "m1", 200).nodeAgent("a", 400, false),
                        Wait.class, null, "[a] need a rejoin, but leader b is not seen as a healthy writable leader"),
                row("the new leader is read-only",
                        Scenario.threeNodes().leader("b").readOnlyLeader("b", "m1", 200).nodeAgent("a", 400, false),
                        Wait.class, null, "leader b is not seen as a healthy writable leader"),
                row("no agent runs next to the replaced leader",
                        replacedLeader().unreachable("a", "m1", 300),
                        Wait.class, null, "no agent running next to them (node mode) reported in the last 3 s"),
                row("its agent went quiet 10 s ago",
                        replacedLeader().nodeAgent("a", 10_000, false),
                        Wait.class, null, "no agent running next to them (node mode)"),
                row("no leader at all", Scenario.threeNodes().leader(null).nodeAgent("a", 400, false),
                        NoAction.class, null, "[a] need a rejoin, but cluster orders has no leader to follow"),
                row("a follower down for 12 s, its agent up: restart it",
                        Scenario.threeNodes().leaderUp("a", "m1", 200).nodeAgentDown("c", 13_000, 12_000)
                                .leaderDown("c", "m1", 13_000, 12_000, 500, REFUSED),
                        Decision.Rejoin.class, "c", "c is a follower no agent has reached for at least 10 s; its agent "
                                + "(http://127.0.0.1:8790) is up and leader a is healthy: start it again"),
                row("a follower down for 5 s only: not yet",
                        Scenario.threeNodes().leaderUp("a", "m1", 200).nodeAgentDown("c", 6_000, 5_000),
                        NoAction.class, null, "no node of cluster orders needs a rejoin"),
                row("a follower its agent cannot reach but another agent can: not down",
                        Scenario.threeNodes().leaderUp("a", "m1", 200).nodeAgentDown("c", 13_000, 12_000)
                                .follower("c", "m1", 300, LEADER_LSN, LEADER_LSN),
                        NoAction.class, null, "no node of cluster orders needs a rejoin"),
                row("a node never seen running (registered with an empty data directory): build it",
                        Scenario.threeNodes().leaderUp("a", "m1", 200).nodeAgentDown("c", -1, 12_000),
                        Decision.Rejoin.class, "c", "c has never been seen running (a new node?); its agent "
                                + "(http://127.0.0.1:8790) is up and leader a is healthy: build it from a base backup"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejoins")
    void decidesRejoins(String name, Scenario scenario, Object ignored, Class<? extends Decision> kind, String node,
            String reason) {
        Decision decision = Decider.decideRejoin(scenario.snapshot(), NOW);
        assertDecision(decision, kind, node, reason);
        if (decision instanceof Decision.Rejoin rejoin) {
            assertThat(rejoin.epoch()).isEqualTo(7);
            assertThat(rejoin.agentEndpoint()).as("the node agent does it, unless the engine rejoins over SQL")
                    .isEqualTo(reason.contains("it answers") ? null : "http://127.0.0.1:87" + rejoin.node().charAt(0) % 10 + "0");
            assertThat(rejoin.kind()).isEqualTo(reason.contains("never been seen running") ? OperationKind.BOOTSTRAP
                    : OperationKind.REJOIN);
        }
    }

    static Stream<Arguments> requestedRejoins() {
        Scenario agentUp = replacedLeader().nodeAgent("a", 400, false);
        UUID running = UUID.fromString("00000000-0000-0000-0000-000000000004");
        return Stream.of(
                Arguments.of("a replaced leader, rewound by its agent", agentUp, rejoinOf("a", false, 7L),
                        Decision.Rejoin.class, "a", "rejoin of a requested by dave (disk checked); its agent "
                                + "(http://127.0.0.1:8770) is up and leader b is healthy: rewind it into a follower of "
                                + "b (a base backup if a rewind is impossible)"),
                Arguments.of("a streaming follower, rebuilt from a base backup",
                        Scenario.threeNodes().leaderUp("a", "m1", 200).nodeAgentSeesFollower("c", "a", 2_000),
                        rejoinOf("c", true, null), Decision.Rejoin.class, "c", "rebuild of c requested by dave "
                                + "(disk checked); its agent (http://127.0.0.1:8790) is up and leader a is healthy: "
                                + "replace its data with a base backup of a"),
                Arguments.of("in maintenance all the same: a person asks", agentUp.maintenance(),
                        rejoinOf("a", false, 7L), Decision.Rejoin.class, "a", "rewind it into a follower of b"),
                Arguments.of("automatic rejoin off holds back only the automatic one",
                        replacedLeader().nodeAgent("a", 400, false).policy(p -> new ClusterPolicy(p.automatic(),
                                p.detectionWindow(), p.observerQuorum(), p.maxLagOnFailoverBytes(), p.rpoZeroRequired(),
                                p.minFailoverInterval(), p.observationMaxAge(), false, p.followerRepairAfter())),
                        rejoinOf("a", false, 7L), Decision.Rejoin.class, "a", "rewind it into a follower of b"),
                Arguments.of("never the leader", replacedLeader().nodeAgent("a", 400, false), rejoinOf("b", true, 7L),
                        Refuse.class, "b", "rebuild of b requested by dave (disk checked), but b is the leader of "
                                + "cluster orders at epoch 7; switch over first"),
                Arguments.of("not a node of the cluster", replacedLeader().nodeAgent("a", 400, false),
                        rejoinOf("zz", false, 7L), Refuse.class, "zz", "'zz' is not a node of cluster orders"),
                Arguments.of("not when the epoch changed since the request", replacedLeader().nodeAgent("a", 400, false),
                        rejoinOf("a", false, 6L), Refuse.class, "a", "rejoin of a requested by dave (disk checked) "
                                + "for epoch 6 but cluster orders is at epoch 7 (leader b): the topology changed since"),
                Arguments.of("not beside a running leader change",
                        replacedLeader().nodeAgent("a", 400, false).running(running), rejoinOf("a", false, 7L),
                        Refuse.class, "a", "operation " + running + " of cluster orders is still running; request "
                                + "again when it has finished"),
                Arguments.of("one rejoin at a time", replacedLeader().nodeAgent("a", 400, false).bookkeeping(
                                new Bookkeeping(null, -1, java.util.Map.of(), null, true, null)),
                        rejoinOf("a", false, 7L), Refuse.class, "a", "a rejoin of cluster orders is running; one at "
                                + "a time: request again when it has finished"),
                Arguments.of("no healthy writable leader to copy from",
                        Scenario.threeNodes().leader("b").unreachable("b", "m1", 200).nodeAgent("a", 400, false),
                        rejoinOf("a", true, 7L), Refuse.class, "a", "rebuild of a requested by dave (disk checked), "
                                + "but leader b is not seen as a healthy writable leader in the last 3 s; a copy needs it"),
                Arguments.of("no leader at all", Scenario.threeNodes().leader(null).nodeAgent("a", 400, false),
                        rejoinOf("a", false, null), Refuse.class, "a", "but cluster orders has no leader to follow"),
                Arguments.of("no agent next to the node", replacedLeader().unreachable("a", "m1", 300),
                        rejoinOf("a", false, 7L), Refuse.class, "a", "but no agent running next to a (node mode) "
                                + "reported in the last 3 s; start it, then request again"),
                Arguments.of("MariaDB: rejoined from here over SQL",
                        replacedLeader().readOnlyLeader("a", "m1", 100).engine(Engine.MARIADB),
                        rejoinOf("a", false, 7L), Decision.Rejoin.class, "a", "it answers and leader b is healthy: "
                                + "check it for transactions b lacks, then make it follow b"),
                Arguments.of("MariaDB: no rebuild in this version",
                        replacedLeader().readOnlyLeader("a", "m1", 100).engine(Engine.MARIADB),
                        rejoinOf("a", true, 7L), Refuse.class, "a", "but MARIADB nodes have no agent that copies "
                                + "them in this version; restore a from a backup of b, then request a rejoin"),
                Arguments.of("MariaDB: a node that does not answer waits for its operator",
                        replacedLeader().unreachable("a", "m1", 100).engine(Engine.MARIADB),
                        rejoinOf("a", false, 7L), Refuse.class, "a", "but no agent reached a in the last 3 s"),
                Arguments.of("not on an engine without actions",
                        replacedLeader().nodeAgent("a", 400, false).engine(Engine.MONGODB), rejoinOf("a", false, 7L),
                        Refuse.class, "a", "cluster orders runs MONGODB: this version of Regent observes it"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requestedRejoins")
    void decidesRequestedRejoins(String name, Scenario scenario, RejoinRequested request,
            Class<? extends Decision> kind, String node, String reason) {
        Decision decision = Decider.decideRejoinRequested(scenario.snapshot(), request, NOW);
        assertThat(decision).as(decision.toString()).isInstanceOf(kind);
        assertThat(decision.reason()).contains(reason);
        if (decision instanceof Decision.Rejoin rejoin) {
            assertThat(rejoin.node()).isEqualTo(node);
            assertThat(rejoin.epoch()).isEqualTo(7);
            assertThat(rejoin.kind()).isEqualTo(request.rebuild() ? OperationKind.REBUILD : OperationKind.REJOIN);
            assertThat(rejoin.agentEndpoint()).as("the node agent does it, unless the engine rejoins over SQL")
                    .isEqualTo(reason.contains("it answers") ? null
                            : "http://127.0.0.1:87" + rejoin.node().charAt(0) % 10 + "0");
        } else {
            assertThat(((Refuse) decision).node()).as("the refusal is recorded on the node asked for").isEqualTo(node);
            assertThat(((Refuse) decision).epoch()).isEqualTo(7);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requested")
    void decidesOnRequest(String name, Scenario scenario, FailoverRequested request, Class<? extends Decision> kind,
            String node, String reason) {
        assertDecision(Decider.decideRequested(scenario.snapshot(), request, NOW), kind, node, reason);
    }

    private static void assertDecision(Decision decision, Class<? extends Decision> kind, String node,
            String reason) {
        assertThat(decision).as(decision.toString()).isInstanceOf(kind);
        assertThat(decision.reason()).contains(reason);
        Function<Decision, String> target = d -> d instanceof Failover f ? f.candidate()
                : d instanceof Decision.Switchover sw ? sw.candidate() : d instanceof Fence f ? f.node()
                : d instanceof Decision.Rejoin r ? r.node() : d instanceof Decision.Unfence u ? u.node() : null;
        assertThat(target.apply(decision)).as("node acted on").isEqualTo(node);
        if (decision instanceof Failover f) {
            assertThat(f.epoch()).isEqualTo(7);
            assertThat(f.failedLeader()).isEqualTo("a");
        }
    }

    /** Leader a dead for m1 and m2 since 2 s; followers to be added by the row. */
    private static Scenario deadLeader() {
        return Scenario.threeNodes().leaderDown("a", "m1", 2_300, 2_000, 100, REFUSED)
                .leaderDown("a", "m2", 2_300, 2_000, 100, REFUSED);
    }

    private static Scenario withFollowersAgo(Scenario scenario, long agoMs) {
        return scenario.follower("b", "m1", agoMs, LEADER_LSN, LEADER_LSN)
                .follower("c", "m1", agoMs, LEADER_LSN, LEADER_LSN);
    }

    private static ClusterPolicy policy(ClusterPolicy p, boolean automatic, Duration minInterval, boolean rpoZero) {
        return new ClusterPolicy(automatic, p.detectionWindow(), p.observerQuorum(), p.maxLagOnFailoverBytes(),
                rpoZero, minInterval, p.observationMaxAge());
    }

    private static SwitchoverRequested switchover(Long expectedEpoch, String expectedLeader, String candidate) {
        return new SwitchoverRequested(UUID.randomUUID(), "orders", expectedLeader, candidate, expectedEpoch, "alice",
                NOW, "planned");
    }

    private static RejoinRequested rejoinOf(String node, boolean rebuild, Long expectedEpoch) {
        return new RejoinRequested(UUID.randomUUID(), "orders", node, rebuild, expectedEpoch, "dave", NOW,
                "disk checked");
    }

    private static FailoverRequested request(Long expectedEpoch, String candidate) {
        return new FailoverRequested(UUID.randomUUID(), "orders", candidate, expectedEpoch, "alice", NOW, "drill");
    }

    private static Arguments row(String name, Scenario scenario, Class<? extends Decision> kind, String node,
            String reason) {
        return Arguments.of(name, scenario, null, kind, node, reason);
    }

    private static Arguments row(String name, Scenario scenario, FailoverRequested request,
            Class<? extends Decision> kind, String node, String reason) {
        return Arguments.of(name, scenario, request, kind, node, reason);
    }
}
