package io.regent.ctl.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** Nodes and durations written on a command line. */
class ArgumentsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "pg-1=10.0.0.5:5432                      | {\"name\":\"pg-1\",\"host\":\"10.0.0.5\",\"port\":5432}",
            "pg-2=db2.example.com:6432,zone=eu-1b    | {\"name\":\"pg-2\",\"host\":\"db2.example.com\",\"port\":6432,\"zone\":\"eu-1b\"}",
            "pg-3=[::1]:5432,priority=0,zone=z       | {\"name\":\"pg-3\",\"host\":\"::1\",\"port\":5432,\"priority\":0,\"zone\":\"z\"}"})
    void nodes(String spec, String json) {
        assertThat(NodeSpec.parse(spec).toString()).isEqualTo(json);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "pg-1                       | write NAME=HOST:PORT",
            "pg-1=host                  | write NAME=HOST:PORT",
            "pg-1=host:54x              | write NAME=HOST:PORT",
            "pg-1=host:5432,rack=r1     | unknown setting rack (zone and priority are known)",
            "pg-1=host:5432,priority=hi | priority must be a whole number (0 = never leader), not hi"})
    void nodeMistakesSayWhatToWrite(String spec, String message) {
        assertThatThrownBy(() -> NodeSpec.parse(spec)).isInstanceOf(CtlException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((CtlException) e).exitCode()).isEqualTo(ExitCodes.USAGE));
    }

    @ParameterizedTest
    @CsvSource({"500ms,PT0.5S", "90s,PT1M30S", "5m,PT5M", "2h,PT2H", "1d,PT24H", "PT3M,PT3M", "' 10 s ',PT10S"})
    void durations(String text, String iso) {
        assertThat(new DurationConverter().convert(text)).isEqualTo(Duration.parse(iso));
    }

    @ParameterizedTest
    @CsvSource({"ten minutes", "5 weeks", "-3s", "''"})
    void durationMistakes(String text) {
        assertThatThrownBy(() -> new DurationConverter().convert(text))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessage("'" + text + "' is not a duration: write e.g. 90s, 5m, 2h or PT5M");
    }
}
