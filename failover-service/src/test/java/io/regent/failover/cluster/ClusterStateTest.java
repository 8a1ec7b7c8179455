package io.regent.failover.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.failover.decision.Decision;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Which decisions the failover loop logs: every change of kind, and a lasting Wait again now and then. */
class ClusterStateTest {

    private static final Duration EVERY = Duration.ofSeconds(10);
    private static final Instant T0 = Instant.parse("2026-12-06T12:00:00Z");

    @Test
    void aLastingWaitIsLoggedAgainEveryIntervalAndARepeatedNoActionOnlyOnce() {
        ClusterState state = new ClusterState("c");
        Decision.NoAction healthy = new Decision.NoAction("healthy");
        Decision.Wait held = new Decision.Wait("a failover of c-1 was made 40 s ago: anti-flapping holds the next");

        assertThat(state.decisionWorthLogging(healthy, T0, EVERY)).as("first decision").isTrue();
        assertThat(state.decisionWorthLogging(healthy, T0.plusSeconds(30), EVERY)).as("NoAction again").isFalse();
        assertThat(state.decisionWorthLogging(held, T0.plusSeconds(31), EVERY)).as("kind changed").isTrue();
        assertThat(state.decisionWorthLogging(held, T0.plusSeconds(35), EVERY)).as("Wait, 4 s later").isFalse();
        assertThat(state.decisionWorthLogging(held, T0.plusSeconds(41), EVERY)).as("Wait, 10 s later").isTrue();
        assertThat(state.decisionWorthLogging(held, T0.plusSeconds(45), EVERY)).as("counted from the last log")
                .isFalse();
        assertThat(state.decisionWorthLogging(healthy, T0.plusSeconds(46), EVERY)).as("back to NoAction").isTrue();
        assertThat(state.decisionWorthLogging(healthy, T0.plusSeconds(90), EVERY)).isFalse();
    }

    @Test
    void rejoinDecisionsAreTrackedApartFromTheLeaderDecisions() {
        ClusterState state = new ClusterState("c");
        Decision.NoAction healthy = new Decision.NoAction("leader c-1 is healthy");
        Decision.Wait noLeader = new Decision.Wait("[c-2] need a rejoin, but leader c-1 is not seen as a healthy "
                + "writable leader");

        assertThat(state.decisionWorthLogging(healthy, T0, EVERY)).isTrue();
        assertThat(state.rejoinDecisionWorthLogging(noLeader, T0, EVERY)).as("first rejoin decision").isTrue();
        assertThat(state.decisionWorthLogging(healthy, T0.plusSeconds(1), EVERY))
                .as("a rejoin decision does not make the same leader decision new").isFalse();
        assertThat(state.rejoinDecisionWorthLogging(noLeader, T0.plusSeconds(5), EVERY)).isFalse();
        assertThat(state.rejoinDecisionWorthLogging(noLeader, T0.plusSeconds(10), EVERY)).as("still waiting").isTrue();
        assertThat(state.rejoinDecisionWorthLogging(healthy, T0.plusSeconds(11), EVERY)).isTrue();
    }
}
