package io.regent.gateway.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The dashboard's lag history: one point per step at most, the window's worth, per node, on the gateway's clock. */
class LagHistoryTest {

    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
    private final LagHistory history = new LagHistory(Duration.ofMinutes(10), Duration.ofSeconds(2));

    @Test
    void keepsAPointPerStepAndDropsWhatLeftTheWindow() {
        for (int second = 0; second <= 700; second++) { // an observation every second for 11 min 40 s
            history.record("c", "b", T0.plusSeconds(second), second);
        }
        Instant now = T0.plusSeconds(700);
        List<LagHistory.Series> series = history.of("c", now);
        assertThat(series).extracting(LagHistory.Series::node).containsExactly("b");
        List<LagHistory.Point> points = series.get(0).points();
        assertThat(points).hasSize(301); // every other second over 600 s, both ends included
        assertThat(points.get(0)).isEqualTo(new LagHistory.Point(T0.plusSeconds(100).toEpochMilli(), 100));
        assertThat(points.get(points.size() - 1)).isEqualTo(new LagHistory.Point(now.toEpochMilli(), 700));
        // asked later without new points: only what is still inside the window
        assertThat(history.of("c", now.plusSeconds(300)).get(0).points()).hasSize(151);
    }

    @Test
    void clustersAndNodesAreKeptApartAndAForgottenClusterHasNone() {
        history.record("c", "b", T0, 5);
        history.record("c", "a", T0, 7);
        history.record("d", "b", T0, 9);
        assertThat(history.of("c", T0)).extracting(LagHistory.Series::node).containsExactly("a", "b");
        assertThat(history.of("d", T0).get(0).points()).containsExactly(new LagHistory.Point(T0.toEpochMilli(), 9));
        history.forget("c");
        assertThat(history.of("c", T0)).isEmpty();
        assertThat(history.of("nobody", T0)).isEmpty();
    }
}
