package io.regent.events.kafka;

import io.regent.events.EventCodec;
import io.regent.events.EventEnvelope;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka value deserializer for structured-mode CloudEvents; a tombstone reads as null.
 * Undecodable bytes throw {@link io.regent.events.EventDecodingException}.
 */
public class RegentEventDeserializer implements Deserializer<EventEnvelope> {

    @Override
    public EventEnvelope deserialize(String topic, byte[] data) {
        return data == null ? null : EventCodec.decode(data);
    }
}
