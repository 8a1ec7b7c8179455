package io.regent.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.regent.events.kafka.RegentEventDeserializer;
import io.regent.events.kafka.RegentEventSerializer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class EventCodecTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final EventCodec codec = new EventCodec(URI.create("/regent/test/instance-1"));

    static Stream<Arguments> allSamples() {
        return Stream.concat(EventSamples.full().entrySet().stream(), EventSamples.minimal().entrySet().stream())
                .map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allSamples")
    void everyEventRoundTripsThroughStructuredCloudEvent(EventType type, RegentEvent event) throws Exception {
        byte[] bytes = codec.encode(event, "id-42", EventSamples.T0);

        EventEnvelope decoded = EventCodec.decode(bytes);

        assertThat(decoded.data()).isEqualTo(event);
        assertThat(decoded.type()).isEqualTo(type);
        assertThat(decoded.id()).isEqualTo("id-42");
        assertThat(decoded.subject()).isEqualTo(event.clusterId());
        assertThat(decoded.source()).isEqualTo(URI.create("/regent/test/instance-1"));
        assertThat(decoded.time().toInstant()).isEqualTo(EventSamples.T0);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EventType.class)
    void encodedFormIsCloudEvents10StructuredJson(EventType type) throws Exception {
        RegentEvent event = EventSamples.full().get(type);

        JsonNode json = JSON.readTree(codec.encode(event));

        assertThat(json.path("specversion").asText()).isEqualTo("1.0");
        assertThat(json.path("type").asText()).isEqualTo(type.ceType()).startsWith("io.regent.");
        assertThat(json.path("subject").asText()).isEqualTo(event.clusterId());
        assertThat(json.path("partitionkey").asText()).isEqualTo(event.clusterId());
        assertThat(json.path("datacontenttype").asText()).isEqualTo("application/json");
        assertThat(json.path("dataschema").asText()).isEqualTo(type.dataSchema().toString());
        assertThat(json.path("id").asText()).isNotBlank();
        // structured mode with a JSON content type: data is inline JSON, not base64
        assertThat(json.path("data").isObject()).isTrue();
        assertThat(json.path("data").path("clusterId").asText()).isEqualTo(event.clusterId());
    }

    @Test
    void instantsAreIsoStringsAndNullsAreLeftOut() throws Exception {
        JsonNode data = JSON.readTree(codec.encode(EventSamples.minimal().get(EventType.TOPOLOGY_CHANGED)))
                .path("data");

        assertThat(data.path("changedAt").asText()).isEqualTo("2026-11-26T10:15:30.123Z");
        assertThat(data.has("leader")).isFalse();
        assertThat(data.has("operationId")).isFalse();
    }

    @Test
    void eachEncodingGetsAFreshId() {
        RegentEvent event = EventSamples.full().get(EventType.FAILOVER_REQUESTED);

        String first = EventCodec.decode(codec.encode(event)).id();
        String second = EventCodec.decode(codec.encode(event)).id();

        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void unknownFieldsAttributesAndEnumValuesFromANewerProducerAreTolerated() throws Exception {
        ObjectNode json = (ObjectNode) JSON.readTree(codec.encode(EventSamples.full().get(EventType.NODE_OBSERVED)));
        json.put("regentregion", "eu-west");                    // unknown CloudEvents extension
        ObjectNode data = (ObjectNode) json.get("data");
        data.put("diskFreeBytes", 123_456_789L);                 // unknown top-level field
        data.putObject("tls").put("version", "1.3");             // unknown nested object
        ((ObjectNode) data.get("walReceiver")).put("conninfo", "host=x");  // unknown field in a nested record
        data.put("role", "WITNESS");                             // enum value this version does not know
        ((ObjectNode) data.get("error")).put("kind", "CERTIFICATE");
        data.put("engine", "COCKROACHDB");

        NodeObserved decoded = EventCodec.decode(JSON.writeValueAsBytes(json)).data(NodeObserved.class);

        NodeObserved original = (NodeObserved) EventSamples.full().get(EventType.NODE_OBSERVED);
        assertThat(decoded.role()).isEqualTo(NodeRole.UNKNOWN);
        assertThat(decoded.error().kind()).isEqualTo(ProbeErrorKind.OTHER);
        assertThat(decoded.engine()).isEqualTo(Engine.UNKNOWN);
        assertThat(decoded.walReceiver()).isEqualTo(original.walReceiver());
        assertThat(decoded.replicas()).isEqualTo(original.replicas());
        assertThat(decoded.receivedLsn()).isEqualTo(original.receivedLsn());
    }

    @Test
    void anUnknownEventTypeIsAClearError() throws Exception {
        ObjectNode json = (ObjectNode) JSON.readTree(codec.encode(EventSamples.full().get(EventType.FAILOVER_REQUESTED)));
        json.put("type", "io.regent.something.new.v9");

        assertThatThrownBy(() -> EventCodec.decode(JSON.writeValueAsBytes(json)))
                .isInstanceOf(EventDecodingException.class)
                .hasMessageContaining("unknown event type 'io.regent.something.new.v9'");
    }

    @Test
    void bytesThatAreNotACloudEventAreAClearError() {
        assertThatThrownBy(() -> EventCodec.decode("{\"hello\":1}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(EventDecodingException.class)
                .hasMessageContaining("not a CloudEvents 1.0");
    }

    @Test
    void dataMissingARequiredFieldIsAClearError() throws Exception {
        ObjectNode json = (ObjectNode) JSON.readTree(codec.encode(EventSamples.full().get(EventType.OPERATION_UPDATED)));
        ((ObjectNode) json.get("data")).remove("operationId");

        assertThatThrownBy(() -> EventCodec.decode(JSON.writeValueAsBytes(json)))
                .isInstanceOf(EventDecodingException.class)
                .hasMessageContaining("invalid io.regent.operation.updated.v1 data")
                .hasMessageContaining("operationId");
    }

    @Test
    void kafkaSerdeUsesTheConfiguredSourceAndKeepsTombstones() {
        try (RegentEventSerializer serializer = new RegentEventSerializer();
             RegentEventDeserializer deserializer = new RegentEventDeserializer()) {
            serializer.configure(Map.of(RegentEventSerializer.SOURCE_CONFIG, "/regent/failover/i-7"), false);
            RegentEvent event = EventSamples.full().get(EventType.TOPOLOGY_CHANGED);

            EventEnvelope back = deserializer.deserialize("t", serializer.serialize("t", event));

            assertThat(back.data()).isEqualTo(event);
            assertThat(back.source()).isEqualTo(URI.create("/regent/failover/i-7"));
            assertThat(serializer.serialize("t", null)).isNull();
            assertThat(deserializer.deserialize("t", null)).isNull();
        }
    }

    @Test
    void envelopeRefusesTheWrongRecordType() {
        EventEnvelope envelope = EventCodec.decode(codec.encode(EventSamples.full().get(EventType.FAILOVER_REQUESTED)));

        assertThatThrownBy(() -> envelope.data(TopologyChanged.class))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("expected TopologyChanged but got FAILOVER_REQUESTED");
    }
}
