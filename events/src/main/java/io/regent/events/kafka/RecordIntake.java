package io.regent.events.kafka;

import io.regent.events.EventCodec;
import io.regent.events.EventEnvelope;
import io.regent.events.RegentEvent;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The door every Regent consumer reads records through: a record that is not a Regent event of the kinds the
 * topic carries, or whose key is not the cluster it is about, is skipped - never retried, never allowed to stop
 * the loop - counted (by topic and reason) and logged once per source, so that a flood of garbage neither
 * blinds a service nor fills its log.
 */
public final class RecordIntake {

    /** Sources whose rejections were logged: bounded, so a stream of invented sources cannot grow it forever. */
    private static final int MAX_LOGGED_SOURCES = 10_000;

    private static final System.Logger LOG = System.getLogger(RecordIntake.class.getName());

    private final String consumer;
    private final BiConsumer<String, String> rejected;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    /**
     * @param consumer names the consumer in log lines
     * @param rejected called with (topic, reason) for each skipped record: the service's counter
     */
    public RecordIntake(String consumer, BiConsumer<String, String> rejected) {
        this.consumer = consumer;
        this.rejected = rejected;
    }

    /**
     * The record's event if it is one of {@code expected} about the cluster its key names; otherwise null,
     * and the record is counted and (once per source) logged. Tombstones are for the caller: check
     * {@code record.value() == null} first.
     */
    public EventEnvelope accept(ConsumerRecord<String, byte[]> record, Set<Class<? extends RegentEvent>> expected) {
        EventEnvelope event;
        try {
            event = EventCodec.decode(record.value());
        } catch (RuntimeException unreadable) {
            reject(record, "unreadable", "key " + record.key(), unreadable.getMessage());
            return null;
        }
        String source = String.valueOf(event.source());
        if (expected.stream().noneMatch(kind -> kind.isInstance(event.data()))) {
            reject(record, "unexpected-type", source, event.type() + " does not belong on " + record.topic());
            return null;
        }
        if (record.key() == null || !record.key().equals(event.data().clusterId())) {
            reject(record, "key-mismatch", source, "keyed " + record.key() + " but about cluster "
                    + event.data().clusterId());
            return null;
        }
        return event;
    }

    /** Skips {@code record} for {@code reason}: counted, and logged the first time for this source and reason. */
    public void reject(ConsumerRecord<String, ?> record, String reason, String source, String detail) {
        rejected.accept(record.topic(), reason);
        String first = record.topic() + "|" + reason + "|" + source;
        if (logged.size() < MAX_LOGGED_SOURCES && logged.add(first)) {
            LOG.log(System.Logger.Level.WARNING, () -> consumer + ": skipping a record on " + record.topic() + "-"
                    + record.partition() + " at offset " + record.offset() + " from " + source + " (" + reason + "): "
                    + abbreviate(detail) + " - further ones from this source are only counted");
        }
    }

    private static String abbreviate(String detail) {
        String text = String.valueOf(detail);
        return text.length() <= 300 ? text : text.substring(0, 300) + "...";
    }
}
