package io.regent.failover.node;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** When a failed rejoin is tried again: the agent's Retry-After when it gave one and it is sooner, else the default. */
class RejoinRetryTest {

    private static final Duration DEFAULT = Duration.ofSeconds(30);

    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of("busy node, agent asks for 2 s", refused(409, "2"), Duration.ofSeconds(2)),
                Arguments.of("agent asks for longer than the default", refused(409, "120"), DEFAULT),
                Arguments.of("stale epoch: no Retry-After", refused(409, null), DEFAULT),
                Arguments.of("HTTP-date Retry-After is not trusted across clocks", refused(503,
                        "Wed, 21 Oct 2026 07:28:00 GMT"), DEFAULT),
                Arguments.of("garbage Retry-After", refused(409, "-1"), DEFAULT),
                Arguments.of("agent unreachable", new ProcessingException("Connection refused"), DEFAULT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void nextAttempt(String situation, RuntimeException failure, Duration expected) {
        assertThat(RejoinExecutor.retryAfter(failure, DEFAULT)).isEqualTo(expected);
    }

    private static RuntimeException refused(int status, String retryAfter) {
        Response.ResponseBuilder response = Response.status(status);
        if (retryAfter != null) {
            response.header("Retry-After", retryAfter);
        }
        return new WebApplicationException(response.build());
    }
}
