package io.regent.failover.execution;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.regent.events.OperationPhase;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;

/**
 * What an operator graphs about the operations this instance ends (docs/configuration.md): per cluster, how
 * many of each kind ended how ({@code regent_failover_operations_total{cluster,kind,outcome}}); per kind, how long
 * each phase took to reach ({@code regent_failover_phase_seconds{kind,phase}}, from the previous phase) and how long
 * the whole operation ran ({@code regent_failover_operation_seconds{kind,outcome}}, first phase to last). The
 * histograms carry no cluster label and fixed buckets: their series do not grow with the fleet.
 */
@ApplicationScoped
public class OperationMetrics {

    /** From a proven-dead failover (sub-second) to a base backup of a large node (minutes). */
    static final Duration[] BUCKETS = {Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5)};

    private final MeterRegistry metrics;

    public OperationMetrics(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    /**
     * Counts {@code op} as ended with {@code status} and times its phases. The phases' instants are this
     * instance's (or, inside a rejoin, the node agent's) clock; a phase stamped before the one it follows - two
     * clocks - is left out rather than recorded as a negative time.
     */
    public void ended(OperationUpdated op, OperationStatus status) {
        metrics.counter("regent_failover_operations_total", "cluster", op.clusterId(), "kind", op.kind().name(),
                "outcome", status.name()).increment();
        Instant first = null;
        Instant previous = null;
        for (OperationPhase phase : op.phases()) {
            if (phase.at() == null) {
                continue;
            }
            if (previous == null) {
                first = phase.at();
            } else if (phase.at().isBefore(previous)) {
                continue; // stamped on another clock: left out, the next phase is timed from the previous one
            } else {
                timer("regent_failover_phase", "kind", op.kind().name(), "phase", phase.name())
                        .record(Duration.between(previous, phase.at()));
            }
            previous = phase.at();
        }
        if (first != null) {
            timer("regent_failover_operation", "kind", op.kind().name(), "outcome", status.name())
                    .record(Duration.between(first, previous));
        }
    }

    private Timer timer(String name, String... tags) {
        return Timer.builder(name).tags(tags).serviceLevelObjectives(BUCKETS).register(metrics);
    }
}
