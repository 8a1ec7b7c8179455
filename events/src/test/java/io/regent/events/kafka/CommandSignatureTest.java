package io.regent.events.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which signed command records the failover-service acts on, and why not the others. */
class CommandSignatureTest {

    private static final String[] GATEWAY = CommandSignature.newKeyPair();
    private static final String[] STRANGER = CommandSignature.newKeyPair();
    private static final String[] NEXT = CommandSignature.newKeyPair();
    private static final Instant NOW = Instant.parse("2026-12-06T10:00:00Z");
    private static final Duration MAX_AGE = Duration.ofMinutes(10);
    private static final String TOPIC = "regent.commands.v1";
    private static final byte[] VALUE = "{\"type\":\"switchover\"}".getBytes(StandardCharsets.UTF_8);

    /** A record as it arrives: what was signed, then what happened to it on the way. */
    private record Arrival(String signer, String role, Instant signedAt, Consumer<Headers> tamper, String key,
            byte[] value) {
    }

    static Stream<Arguments> rows() {
        return Stream.of(
                row("signed by the gateway for an operator", arrival(GATEWAY[0], "regent-operator", NOW),
                        List.of(GATEWAY[1]), true, "signed by the gateway for olivia (regent-operator)"),
                row("signed by the gateway for an admin", arrival(GATEWAY[0], "regent-admin", NOW.minusSeconds(599)),
                        List.of(GATEWAY[1]), true, "signed by the gateway for olivia (regent-admin)"),
                row("during a key rotation, the new key", arrival(NEXT[0], "regent-operator", NOW),
                        List.of(GATEWAY[1], NEXT[1]), true, "signed by the gateway for olivia (regent-operator)"),
                row("no signature at all", new Arrival(null, null, NOW, h -> { }, "alpha", VALUE),
                        List.of(GATEWAY[1]), false, "unsigned: no requester, role, time or signature header"),
                row("signed by a key nobody trusts", arrival(STRANGER[0], "regent-admin", NOW),
                        List.of(GATEWAY[1]), false, "the signature does not verify with any configured key"),
                row("no verification key configured", arrival(GATEWAY[0], "regent-operator", NOW), List.of(),
                        false, "no verification key is configured"),
                row("a viewer's role", arrival(GATEWAY[0], "regent-viewer", NOW), List.of(GATEWAY[1]), false,
                        "role regent-viewer may not ask for commands"),
                row("too old", arrival(GATEWAY[0], "regent-operator", NOW.minus(Duration.ofMinutes(11))),
                        List.of(GATEWAY[1]), false, "signed 660 s ago; commands are valid for 600 s"),
                row("from too far in the future", arrival(GATEWAY[0], "regent-operator",
                        NOW.plus(Duration.ofMinutes(11))), List.of(GATEWAY[1]), false,
                        "signed 660 s in the future (are the clocks apart?); commands are valid for 600 s"),
                row("the requester header changed", new Arrival(GATEWAY[0], "regent-operator", NOW,
                        h -> replace(h, CommandSignature.REQUESTER_HEADER, "mallory"), "alpha", VALUE),
                        List.of(GATEWAY[1]), false, "the signature does not verify with any configured key"),
                row("the role header raised", new Arrival(GATEWAY[0], "regent-operator", NOW,
                        h -> replace(h, CommandSignature.ROLE_HEADER, "regent-admin"), "alpha", VALUE),
                        List.of(GATEWAY[1]), false, "the signature does not verify with any configured key"),
                row("moved to another cluster's key", new Arrival(GATEWAY[0], "regent-operator", NOW, h -> { },
                        "beta", VALUE), List.of(GATEWAY[1]), false,
                        "the signature does not verify with any configured key"),
                row("the value changed", new Arrival(GATEWAY[0], "regent-operator", NOW, h -> { }, "alpha",
                        "{\"type\":\"failover\"}".getBytes(StandardCharsets.UTF_8)), List.of(GATEWAY[1]), false,
                        "the signature does not verify with any configured key"),
                row("a signing time that is not a number", new Arrival(GATEWAY[0], "regent-operator", NOW,
                        h -> replace(h, CommandSignature.SIGNED_AT_HEADER, "yesterday"), "alpha", VALUE),
                        List.of(GATEWAY[1]), false, "the signing time 'yesterday' is not a number"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void verify(String why, Arrival arrival, List<String> keys, boolean accepted, String reason) {
        Headers headers = new RecordHeaders();
        if (arrival.signer() != null) {
            PrivateKey key = CommandSignature.privateKey(arrival.signer());
            CommandSignature.sign(key, TOPIC, "alpha", VALUE, "olivia", arrival.role(), arrival.signedAt(), headers);
        }
        arrival.tamper().accept(headers);
        List<PublicKey> verifiers = keys.stream().map(CommandSignature::publicKey).toList();

        CommandSignature.Verdict verdict = CommandSignature.verify(verifiers, TOPIC, arrival.key(), arrival.value(),
                headers, NOW, MAX_AGE);

        assertThat(verdict.reason()).isEqualTo(reason);
        assertThat(verdict.accepted()).isEqualTo(accepted);
        if (accepted) {
            assertThat(verdict.requester()).isEqualTo("olivia");
        }
    }

    private static Arrival arrival(String signer, String role, Instant signedAt) {
        return new Arrival(signer, role, signedAt, h -> { }, "alpha", VALUE);
    }

    private static Arguments row(String why, Arrival arrival, List<String> keys, boolean accepted, String reason) {
        return Arguments.of(why, arrival, keys, accepted, reason);
    }

    private static void replace(Headers headers, String name, String value) {
        headers.remove(name);
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
