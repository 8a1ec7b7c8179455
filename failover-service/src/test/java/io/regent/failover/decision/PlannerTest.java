package io.regent.failover.decision;

import static io.regent.failover.decision.Scenario.LEADER_LSN;
import static io.regent.failover.decision.Scenario.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import io.regent.events.NodeRole;
import io.regent.events.ProbeErrorKind;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The plans the executor applies, as a table: each row a cluster state and a decided change in, the
 * steps out (one line each) - including the judgement the executor used to make in passing: whether the
 * old leader is fenced at all and whether a failed fence stops the change, which standbys the new
 * leader waits for, who is re-pointed.
 */
class PlannerTest {

    static Stream<Arguments> plans() {
        return Stream.of(
                Arguments.of("failover of a dead leader, decided by the system",
                        Planner.failover(Scenario.threeNodes().unreachable("a", "m1", 100).unreachable("a", "m2", 200)
                                .snapshot(), "a", "b", "system", NOW),
                        List.of("Fence a attempt=false required=false: a is unreachable: it is fenced when it is seen again",
                                "Promote b",
                                "Open b standbys=[] k=0 (asynchronous)",
                                "Repoint c to b",
                                "Announce b replacing a")),
                Arguments.of("failover the system decided while an agent still reaches the leader: a failed fence goes on",
                        Planner.failover(Scenario.threeNodes().leaderUp("a", "m1", 100).snapshot(), "a", "b", "system",
                                NOW),
                        List.of("Fence a attempt=true required=false: a quorum declared a down, so a failed fence does "
                                        + "not stop the failover (it is fenced when it is seen again)",
                                "Promote b",
                                "Open b standbys=[] k=0 (asynchronous)",
                                "Repoint c to b",
                                "Announce b replacing a")),
                Arguments.of("a person's failover of a leader that answers: the fence must succeed",
                        Planner.failover(Scenario.threeNodes().leaderUp("a", "m1", 100).snapshot(), "a", "c", "alice",
                                NOW),
                        List.of("Fence a attempt=true required=true: the leader a answers: promoting another node "
                                        + "before it is fenced could split the brain",
                                "Promote c",
                                "Open c standbys=[] k=0 (asynchronous)",
                                "Repoint b to c",
                                "Announce c replacing a")),
                Arguments.of("the freshest sighting decides reachability: down now, up earlier",
                        Planner.failover(Scenario.threeNodes().leaderUp("a", "m1", 2_000)
                                .leaderDown("a", "m2", -1, 1_500, 100, ProbeErrorKind.TIMEOUT).snapshot(), "a", "b",
                                "alice", NOW),
                        List.of("Fence a attempt=false required=false: a is unreachable: it is fenced when it is seen again",
                                "Promote b",
                                "Open b standbys=[] k=0 (asynchronous)",
                                "Repoint c to b",
                                "Announce b replacing a")),
                Arguments.of("synchronous ANY 1: the new leader waits for every other node, the old one included",
                        Planner.failover(Scenario.threeNodes().synchronousAny(1).snapshot(), "a", "b", "system", NOW),
                        List.of("Fence a attempt=false required=false: a is unreachable: it is fenced when it is seen again",
                                "Promote b",
                                "Open b standbys=[a, c] k=1 (synchronous ANY 1 [a, c] (old leader a counts once rejoined))",
                                "Repoint c to b",
                                "Announce b replacing a")),
                Arguments.of("only registry followers are re-pointed: a node needing a rejoin is not",
                        Planner.failover(Scenario.threeNodes().node("d", NodeRole.NEEDS_REJOIN, 100)
                                .follower("b", "m1", 100, LEADER_LSN, LEADER_LSN).snapshot(), "a", "b", "system", NOW),
                        List.of("Fence a attempt=false required=false: a is unreachable: it is fenced when it is seen again",
                                "Promote b",
                                "Open b standbys=[] k=0 (asynchronous)",
                                "Repoint c to b",
                                "Announce b replacing a")),
                Arguments.of("switchover: the other followers detached first, fence required, then catch up before "
                                + "the promotion",
                        Planner.switchover(Scenario.threeNodes().synchronousAny(2).snapshot().topology(), "a", "c"),
                        List.of("Detach b from a to c",
                                "Fence a attempt=true required=true: a switchover hands over only from a fenced leader",
                                "CatchUp c to a",
                                "Promote c",
                                "Open c standbys=[a, b] k=2 (synchronous ANY 2 [a, b] (old leader a counts once rejoined))",
                                "Repoint b to c",
                                "Announce c replacing a")),
                Arguments.of("reopening the leader (a failed switchover, a stranded leader): its standbys as registered",
                        Planner.reopen(Scenario.threeNodes().synchronousAny(1).snapshot().topology(), "a"),
                        List.of("Open a standbys=[b, c] k=1 (synchronous ANY 1 [b, c])")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void plansStepByStep(String name, Plan plan, List<String> steps) {
        assertThat(plan.steps().stream().map(PlannerTest::line).toList()).containsExactlyElementsOf(steps);
    }

    private static String line(Plan.Step step) {
        if (step instanceof Plan.Fence f) {
            return "Fence " + f.node() + " attempt=" + f.attempt() + " required=" + f.required() + ": " + f.why();
        }
        if (step instanceof Plan.CatchUp c) {
            return "CatchUp " + c.node() + " to " + c.leader();
        }
        if (step instanceof Plan.Detach d) {
            return "Detach " + d.node() + " from " + d.leader() + " to " + d.candidate();
        }
        if (step instanceof Plan.Promote p) {
            return "Promote " + p.node();
        }
        if (step instanceof Plan.Open o) {
            return "Open " + o.node() + " standbys=" + o.standbys() + " k=" + o.k() + " (" + o.describe() + ")";
        }
        if (step instanceof Plan.Repoint r) {
            return "Repoint " + r.node() + " to " + r.leader();
        }
        Plan.Announce a = (Plan.Announce) step;
        return "Announce " + a.node() + " replacing " + a.replaced();
    }
}
