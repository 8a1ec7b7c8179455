package io.regent.engines.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.regent.engines.postgres.SynchronousStandbyNames.Method;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The forms of synchronous_standby_names PostgreSQL accepts, read the way the server reads them. */
class SynchronousStandbyNamesTest {

    static Stream<Arguments> settings() {
        return Stream.of(
                Arguments.of("", Method.NONE, 0, List.of()),
                Arguments.of("ANY 1 (\"demo-2\", \"demo-3\")", Method.QUORUM, 1, List.of("demo-2", "demo-3")),
                Arguments.of("any 2 (a,B ,c)", Method.QUORUM, 2, List.of("a", "b", "c")),
                Arguments.of("FIRST 2 (s1, s2, s3)", Method.PRIORITY, 2, List.of("s1", "s2", "s3")),
                Arguments.of("3 (s1, s2, s3)", Method.PRIORITY, 3, List.of("s1", "s2", "s3")),
                Arguments.of("s1, s2", Method.PRIORITY, 1, List.of("s1", "s2")),
                Arguments.of("*", Method.PRIORITY, 1, List.of("*")),
                Arguments.of("\"Mixed\"\"Case\"", Method.PRIORITY, 1, List.of("Mixed\"Case")),
                Arguments.of("\"regent-fenced\"", Method.PRIORITY, 1, List.of("regent-fenced")));
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("settings")
    void readsTheSettingAsTheServerDoes(String setting, Method method, int k, List<String> names) {
        SynchronousStandbyNames parsed = SynchronousStandbyNames.parse(setting);
        assertThat(parsed.method()).isEqualTo(method);
        assertThat(parsed.k()).isEqualTo(k);
        assertThat(parsed.names()).isEqualTo(names);
        assertThat(parsed.fenced()).isEqualTo(setting.contains("regent-fenced"));
        assertThat(parsed.anyStandby()).isEqualTo(setting.equals("*"));
    }

    @ParameterizedTest(name = "[{0}]")
    @MethodSource("unreadable")
    void refusesWhatTheServerWouldRefuse(String setting, String why) {
        assertThatThrownBy(() -> SynchronousStandbyNames.parse(setting)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(why);
    }

    static Stream<Arguments> unreadable() {
        return Stream.of(
                Arguments.of("ANY (a, b)", "ANY and FIRST need a number"),
                Arguments.of("ANY 1 (a, b", "unclosed parenthesis"),
                Arguments.of("a, , b", "an empty name"),
                Arguments.of("\"a, b", "unclosed quote"));
    }
}
