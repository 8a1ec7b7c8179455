package io.regent.gateway.health;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** {@code regent_kafka_records_rejected_total{topic, reason}}: records this gateway's consumers skipped. */
@ApplicationScoped
public class RejectedRecords {

    private final MeterRegistry metrics;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    public RejectedRecords(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    public void count(String topic, String reason) {
        counters.computeIfAbsent(topic + "|" + reason, k -> metrics.counter("regent_kafka_records_rejected_total",
                "topic", topic, "reason", reason)).increment();
    }
}
