package io.regent.events.kafka;

import java.time.Duration;

/**
 * When a consumer loop last completed a poll (an empty one counts: a broker outage is not a stall). A loop
 * that died, hangs in a callback, or fails on every poll stops moving it - and its service's readiness says
 * so, instead of serving a view that silently stopped changing (issue 22: one bad record froze the gateway's
 * health view for good while it still answered "ready").
 */
public final class ConsumerProgress {

    private final String name;
    private volatile long lastProgressNanos = System.nanoTime();
    private volatile String lastFailure;
    /** Records on its partitions not consumed yet, as of its last poll; -1 while unknown. */
    private volatile long lagRecords = -1;

    public ConsumerProgress(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** A poll completed (or the loop is alive and waiting for the broker). */
    public void progressed() {
        lastProgressNanos = System.nanoTime();
        lastFailure = null;
    }

    /**
     * A poll completed on {@code consumer}: progress, and how many records its partitions hold beyond its position
     * (Kafka's own {@code currentLag}, from the last fetch: no request to the broker). Partitions whose lag the
     * consumer does not know yet are left out.
     */
    public void progressed(org.apache.kafka.clients.consumer.Consumer<?, ?> consumer) {
        progressed();
        long lag = 0;
        boolean known = false;
        for (org.apache.kafka.common.TopicPartition partition : consumer.assignment()) {
            java.util.OptionalLong behind = consumer.currentLag(partition);
            if (behind.isPresent()) {
                lag += behind.getAsLong();
                known = true;
            }
        }
        if (known) {
            lagRecords = lag;
        }
    }

    /**
     * Records not consumed yet as of the last poll (its partitions' end minus its position), or NaN while unknown:
     * the {@code regent_kafka_consumer_lag_records{consumer}} gauge of each service.
     */
    public double lagRecords() {
        long lag = lagRecords;
        return lag < 0 ? Double.NaN : lag;
    }

    /** A poll failed; the time of the last progress stays where it was. */
    public void failed(String failure) {
        lastFailure = failure;
    }

    public Duration sinceProgress() {
        return Duration.ofNanos(System.nanoTime() - lastProgressNanos);
    }

    public boolean stalled(Duration after) {
        return sinceProgress().compareTo(after) > 0;
    }

    /** Why it may be stalled: the last failure, if any. */
    public String lastFailure() {
        return lastFailure;
    }

    /**
     * Whether none of {@code consumers} is stalled past {@code after}, and per consumer how long since its last
     * poll (plus its last failure): the data of a service's readiness check.
     */
    public static java.util.Map<String, String> report(java.util.Collection<ConsumerProgress> consumers,
            Duration after, boolean[] healthy) {
        java.util.Map<String, String> data = new java.util.LinkedHashMap<>();
        boolean all = true;
        for (ConsumerProgress consumer : consumers) {
            boolean stalled = consumer.stalled(after);
            all &= !stalled;
            String failure = consumer.lastFailure();
            data.put(consumer.name(), (stalled ? "STALLED: " : "") + "last poll " + consumer.sinceProgress().toMillis()
                    + " ms ago" + (failure == null ? "" : "; last failure: " + failure));
        }
        healthy[0] = all;
        return data;
    }
}
