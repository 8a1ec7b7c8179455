package io.regent.events.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.events.EventCodec;
import io.regent.events.MaintenanceChanged;
import io.regent.events.NodeObserved;
import io.regent.events.RegentEvent;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the consumers' door lets through, and the reason it counts for what it skips. */
class RecordIntakeTest {

    private static final EventCodec CODEC = new EventCodec(URI.create("/regent/test"));
    private static final Set<Class<? extends RegentEvent>> COMMANDS = Set.of(MaintenanceChanged.class);
    private static final MaintenanceChanged COMMAND = new MaintenanceChanged(UUID.randomUUID(), "alpha", true, "olivia",
            Instant.now(), "patching", null);

    static Stream<Arguments> rows() {
        return Stream.of(
                Arguments.of("a command of its topic, keyed by its cluster", "alpha", CODEC.encode(COMMAND), null),
                Arguments.of("binary", "alpha", new byte[] {0, (byte) 0xff, 0x13}, "unreadable"),
                Arguments.of("truncated JSON", "alpha", half(CODEC.encode(COMMAND)), "unreadable"),
                Arguments.of("a 900 KB string", "alpha", ("\"" + "x".repeat(900 * 1024) + "\"")
                        .getBytes(StandardCharsets.UTF_8), "unreadable"),
                Arguments.of("a known type with invalid data", "alpha", cloudEvent(
                        "io.regent.maintenance.changed.v1", "{\"enabled\":true}"), "unreadable"),
                Arguments.of("an unknown type", "alpha", cloudEvent("io.regent.nothing.v9", "{}"), "unreadable"),
                Arguments.of("an event that belongs on another topic", "alpha", CODEC.encode(observation()),
                        "unexpected-type"),
                Arguments.of("keyed by another cluster", "beta", CODEC.encode(COMMAND), "key-mismatch"),
                Arguments.of("no key", null, CODEC.encode(COMMAND), "key-mismatch"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void acceptsOnlyEventsOfItsTopicAboutTheClusterOfTheirKey(String why, String key, byte[] value, String rejected) {
        List<String> counted = new ArrayList<>();
        RecordIntake intake = new RecordIntake("test", (topic, reason) -> counted.add(topic + "/" + reason));

        boolean accepted = intake.accept(new ConsumerRecord<>("regent.commands.v1", 0, 7L, key, value), COMMANDS) != null;

        assertThat(accepted).isEqualTo(rejected == null);
        assertThat(counted).isEqualTo(rejected == null ? List.of() : List.of("regent.commands.v1/" + rejected));
    }

    @Test
    void everySkippedRecordIsCountedEvenWhenItsSourceWasLoggedAlready() {
        List<String> counted = new ArrayList<>();
        RecordIntake intake = new RecordIntake("test", (topic, reason) -> counted.add(reason));
        for (int i = 0; i < 5; i++) {
            intake.accept(new ConsumerRecord<>("regent.commands.v1", 0, i, "alpha", new byte[] {1}), COMMANDS);
        }
        assertThat(counted).hasSize(5).containsOnly("unreadable");
    }

    private static NodeObserved observation() {
        return new NodeObserved("alpha", "alpha-1", "agent-1", "a", Instant.now(), 1L, null, true, null, null, null,
                null, null, null, null, null, null, null, List.of(), null, null, null, null, null, null);
    }

    private static byte[] half(byte[] bytes) {
        return java.util.Arrays.copyOf(bytes, bytes.length / 2);
    }

    private static byte[] cloudEvent(String type, String data) {
        return ("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/x\",\"type\":\"" + type
                + "\",\"datacontenttype\":\"application/json\",\"data\":" + data + "}").getBytes(StandardCharsets.UTF_8);
    }
}
