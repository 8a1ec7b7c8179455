package io.regent.failover.execution;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.regent.events.OperationKind;
import io.regent.events.OperationPhase;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The operation metrics: a counter per cluster, phase and operation durations per kind without one. */
class OperationMetricsTest {

    private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");

    @Test
    void countsPerClusterAndTimesEachPhaseFromThePreviousOne() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        OperationMetrics metrics = new OperationMetrics(registry);

        metrics.ended(failover("orders", List.of(phase("detected", 0), phase("decided", 80), phase("promoted", 380),
                phase("announced", 430))), OperationStatus.SUCCEEDED);

        assertThat(registry.get("regent_failover_operations_total").tags("cluster", "orders", "kind", "FAILOVER",
                "outcome", "SUCCEEDED").counter().count()).isEqualTo(1.0);
        assertThat(registry.get("regent_failover_phase").tags("kind", "FAILOVER", "phase", "promoted").timer()
                .totalTime(TimeUnit.MILLISECONDS)).as("decided -> promoted").isEqualTo(300.0);
        assertThat(registry.get("regent_failover_phase").tags("kind", "FAILOVER", "phase", "announced").timer()
                .totalTime(TimeUnit.MILLISECONDS)).isEqualTo(50.0);
        assertThat(registry.find("regent_failover_phase").tags("phase", "detected").timer())
                .as("the first phase has nothing to be timed from").isNull();
        assertThat(registry.get("regent_failover_operation").tags("kind", "FAILOVER", "outcome", "SUCCEEDED").timer()
                .totalTime(TimeUnit.MILLISECONDS)).as("first phase to last").isEqualTo(430.0);
        assertThat(registry.get("regent_failover_phase").timer().getId().getTag("cluster"))
                .as("no cluster label on a histogram").isNull();
    }

    @Test
    void aPhaseStampedBeforeTheOneItFollowsIsLeftOutNotRecordedNegative() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new OperationMetrics(registry).ended(failover("orders", List.of(phase("decided", 0), phase("stopped", -40),
                phase("rejoined", 200))), OperationStatus.FAILED);

        assertThat(registry.find("regent_failover_phase").tags("phase", "stopped").timer()).isNull();
        assertThat(registry.get("regent_failover_phase").tags("phase", "rejoined").timer()
                .totalTime(TimeUnit.MILLISECONDS)).isEqualTo(200.0);
        assertThat(registry.get("regent_failover_operations_total").tags("outcome", "FAILED").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    void anOperationWithoutPhasesIsOnlyCounted() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new OperationMetrics(registry).ended(failover("orders", List.of()), OperationStatus.FAILED);

        assertThat(registry.get("regent_failover_operations_total").counter().count()).isEqualTo(1.0);
        assertThat(registry.find("regent_failover_operation").timer()).isNull();
    }

    private static OperationPhase phase(String name, long millis) {
        return new OperationPhase(name, T0.plusMillis(millis), name);
    }

    private static OperationUpdated failover(String cluster, List<OperationPhase> phases) {
        return new OperationUpdated(UUID.randomUUID(), cluster, OperationKind.FAILOVER, OperationStatus.SUCCEEDED,
                cluster + "-1", cluster + "-2", 0L, 1L, "system", "test", phases, T0, T0, T0, null);
    }
}
