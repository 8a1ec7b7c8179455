package io.regent.devstack.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The Regent metrics a PromQL expression reads, and whether some service's main code names them. */
final class ExportedMetrics {

    private static final Pattern METRIC = Pattern.compile("\\bregent_[a-z_]+\\b");
    /** What Prometheus appends to a counter's or a histogram's name. */
    private static final List<String> SUFFIXES = List.of("_total", "_bucket", "_count", "_sum");
    private static String sources;

    private ExportedMetrics() {
    }

    static Set<String> referencedBy(String expression) {
        Set<String> metrics = new TreeSet<>();
        Matcher matcher = METRIC.matcher(expression);
        while (matcher.find()) {
            metrics.add(matcher.group());
        }
        return metrics;
    }

    /** Those of {@code metrics} no {@code src/main} Java file names (as {@code "a_b"} or {@code "a.b"}). */
    static List<String> notExported(Collection<String> metrics) {
        String code = sources();
        return metrics.stream().filter(metric -> {
            String base = metric;
            for (String suffix : SUFFIXES) {
                if (base.endsWith(suffix)) {
                    base = base.substring(0, base.length() - suffix.length());
                }
            }
            base = base.replaceAll("_seconds$", ""); // a Timer's base unit, added by the registry
            return !code.contains('"' + metric + '"') && !code.contains('"' + base + '"')
                    && !code.contains('"' + base.replace('_', '.') + '"');
        }).toList();
    }

    private static synchronized String sources() {
        if (sources == null) {
            try (Stream<Path> files = Files.walk(Manifests.repositoryRoot())) {
                sources = files.filter(f -> f.toString().endsWith(".java") && f.toString().contains("/src/main/"))
                        .map(Manifests::read).collect(Collectors.joining("\n"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sources;
    }
}
