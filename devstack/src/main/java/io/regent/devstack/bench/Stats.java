package io.regent.devstack.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Percentiles of a sample, nearest-rank: the value below which p percent of the sample lies. */
public final class Stats {

    private Stats() {
    }

    /** Nearest-rank percentile of {@code values} (0 < p <= 100); null for an empty sample. */
    public static Long percentile(List<Long> values, double p) {
        if (values.isEmpty()) {
            return null;
        }
        if (p <= 0 || p > 100) {
            throw new IllegalArgumentException("percentile must be in (0, 100], got " + p);
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    /** {@code p50, p95, p99, max} and the sample size, in that order (for the JSON line). */
    public static Map<String, Object> summary(List<Long> values) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("n", values.size());
        summary.put("p50", percentile(values, 50));
        summary.put("p95", percentile(values, 95));
        summary.put("p99", percentile(values, 99));
        summary.put("max", values.isEmpty() ? null : Collections.max(values));
        return summary;
    }
}
