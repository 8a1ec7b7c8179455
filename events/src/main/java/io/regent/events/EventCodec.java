package io.regent.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventDeserializationException;
import io.cloudevents.jackson.JsonFormat;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.UUID;

/**
 * Encodes Regent events as CloudEvents 1.0 in structured JSON mode and decodes them back,
 * through the CloudEvents Java SDK's {@link JsonFormat}. Thread-safe.
 *
 * <p>Decoding tolerates what a newer producer may add: unknown attributes, unknown fields in
 * {@code data}, and unknown enum values (read as {@code UNKNOWN}/{@code OTHER}).
 */
public final class EventCodec {

    /** CloudEvents extension carrying the Kafka partition key (the cluster id). */
    public static final String PARTITION_KEY_EXTENSION = "partitionkey";

    private static final ObjectMapper MAPPER = newObjectMapper();
    private static final JsonFormat FORMAT = new JsonFormat();

    private final URI source;

    /**
     * @param source the producing service instance, e.g. {@code /regent/failover/instance-1}
     */
    public EventCodec(URI source) {
        this.source = Objects.requireNonNull(source, "source");
    }

    /** The JSON mapper used for event data: ISO-8601 times, absent nulls, lenient reading. */
    public static ObjectMapper objectMapper() {
        return MAPPER;
    }

    /** Encodes with a fresh id and the current time. */
    public byte[] encode(RegentEvent event) {
        return encode(event, UUID.randomUUID().toString(), Instant.now());
    }

    public byte[] encode(RegentEvent event, String id, Instant time) {
        return FORMAT.serialize(toCloudEvent(event, id, time));
    }

    public CloudEvent toCloudEvent(RegentEvent event, String id, Instant time) {
        EventType type = EventType.of(event);
        byte[] data;
        try {
            data = MAPPER.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialize " + type + ": " + e.getOriginalMessage(), e);
        }
        return CloudEventBuilder.v1()
                .withId(id)
                .withSource(source)
                .withType(type.ceType())
                .withSubject(event.clusterId())
                .withTime(OffsetDateTime.ofInstant(time, ZoneOffset.UTC))
                .withDataContentType("application/json")
                .withDataSchema(type.dataSchema())
                .withExtension(PARTITION_KEY_EXTENSION, event.clusterId())
                .withData(data)
                .build();
    }

    /** Decodes a structured-mode CloudEvent produced by any Regent version. */
    public static EventEnvelope decode(byte[] bytes) {
        CloudEvent cloudEvent;
        try {
            cloudEvent = FORMAT.deserialize(bytes);
        } catch (EventDeserializationException | IllegalStateException e) {
            throw new EventDecodingException("not a CloudEvents 1.0 structured JSON event: " + e.getMessage(), e);
        }
        return fromCloudEvent(cloudEvent);
    }

    public static EventEnvelope fromCloudEvent(CloudEvent cloudEvent) {
        EventType type = EventType.ofCeType(cloudEvent.getType())
                .orElseThrow(() -> new EventDecodingException("unknown event type '" + cloudEvent.getType() + "'"));
        CloudEventData data = cloudEvent.getData();
        if (data == null) {
            throw new EventDecodingException("event " + cloudEvent.getId() + " of type " + type.ceType() + " has no data");
        }
        RegentEvent event;
        try {
            event = MAPPER.readValue(data.toBytes(), type.recordClass());
        } catch (IOException | IllegalArgumentException e) {
            throw new EventDecodingException("event " + cloudEvent.getId() + " has invalid " + type.ceType()
                    + " data: " + e.getMessage(), e);
        }
        return new EventEnvelope(cloudEvent.getId(), cloudEvent.getSource(), type, cloudEvent.getSubject(),
                cloudEvent.getTime(), event);
    }

    private static ObjectMapper newObjectMapper() {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_USING_DEFAULT_VALUE)
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .build();
    }
}
