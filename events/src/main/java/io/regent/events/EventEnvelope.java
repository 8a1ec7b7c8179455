package io.regent.events;

import java.net.URI;
import java.time.OffsetDateTime;
import java.util.Objects;

/**
 * A decoded CloudEvent: its context attributes and the typed event.
 *
 * @param id      unique per event; consumers deduplicate redeliveries with it
 * @param source  the producing service instance, e.g. {@code /regent/monitor/agent-1}
 * @param type    the event's type
 * @param subject the cluster id
 * @param time    when the event was produced
 * @param data    the event itself
 */
public record EventEnvelope(String id, URI source, EventType type, String subject, OffsetDateTime time,
        RegentEvent data) {

    public EventEnvelope {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
    }

    /** The event as the given record type; fails when it is another type. */
    public <T extends RegentEvent> T data(Class<T> expected) {
        if (!expected.isInstance(data)) {
            throw new IllegalStateException("expected " + expected.getSimpleName() + " but got " + type);
        }
        return expected.cast(data);
    }
}
