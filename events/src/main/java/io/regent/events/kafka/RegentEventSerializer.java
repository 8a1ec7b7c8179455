package io.regent.events.kafka;

import io.regent.events.EventCodec;
import io.regent.events.RegentEvent;
import java.net.URI;
import java.util.Map;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka value serializer: a {@link RegentEvent} as a structured-mode CloudEvent. A null value
 * stays null (a tombstone on the compacted topology topic).
 *
 * <p>Config {@value #SOURCE_CONFIG} sets the CloudEvents {@code source}; it defaults to
 * {@code /regent/<client.id>}.
 */
public class RegentEventSerializer implements Serializer<RegentEvent> {

    public static final String SOURCE_CONFIG = "regent.cloudevents.source";

    private EventCodec codec = new EventCodec(URI.create("/regent/unknown"));

    public RegentEventSerializer() {
    }

    public RegentEventSerializer(URI source) {
        this.codec = new EventCodec(source);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        Object source = configs.get(SOURCE_CONFIG);
        if (source != null) {
            codec = new EventCodec(URI.create(source.toString()));
        } else if (configs.get("client.id") != null) {
            codec = new EventCodec(URI.create("/regent/" + configs.get("client.id")));
        }
    }

    @Override
    public byte[] serialize(String topic, RegentEvent event) {
        return event == null ? null : codec.encode(event);
    }
}
