package io.regent.devstack.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Nearest-rank percentiles, as the benchmark's JSON line reports them. */
class StatsTest {

    private static final List<Long> ONE_TO_HUNDRED = LongStream.rangeClosed(1, 100).boxed().toList();

    @ParameterizedTest(name = "p{0} of 1..100 = {1}")
    @CsvSource({"50, 50", "95, 95", "99, 99", "100, 100", "1, 1", "0.5, 1"})
    void percentilesOfOneToHundred(double p, long expected) {
        assertThat(Stats.percentile(ONE_TO_HUNDRED, p)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "p{0} of [30, 10, 20] = {1}")
    @CsvSource({"50, 20", "66, 20", "67, 30", "99, 30"})
    void smallUnsortedSamples(double p, long expected) {
        assertThat(Stats.percentile(List.of(30L, 10L, 20L), p)).isEqualTo(expected);
    }

    @Test
    void anEmptySampleHasNoPercentiles() {
        assertThat(Stats.percentile(List.of(), 50)).isNull();
        assertThat(Stats.summary(List.of())).containsEntry("n", 0).containsEntry("max", null);
    }

    @Test
    void summaryNamesEachStatistic() {
        assertThat(Stats.summary(List.of(5L, 1L, 9L))).containsExactly(
                org.assertj.core.api.Assertions.entry("n", 3), org.assertj.core.api.Assertions.entry("p50", 5L),
                org.assertj.core.api.Assertions.entry("p95", 9L), org.assertj.core.api.Assertions.entry("p99", 9L),
                org.assertj.core.api.Assertions.entry("max", 9L));
    }

    @Test
    void aPercentileOutsideTheRangeIsRefused() {
        assertThatThrownBy(() -> Stats.percentile(ONE_TO_HUNDRED, 0)).hasMessageContaining("(0, 100]");
        assertThatThrownBy(() -> Stats.percentile(ONE_TO_HUNDRED, 101)).hasMessageContaining("(0, 100]");
    }
}
