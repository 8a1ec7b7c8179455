package io.regent.devstack.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Prometheus alert rules that ship ({@code deploy/prometheus/regent-alerts.yml}): Prometheus' own
 * {@code promtool} checks them and runs their unit tests; every alert is tested firing and not firing, has a
 * runbook in docs/runbooks.md, and reads only metrics some service of this repository exports.
 */
class AlertRulesTest {

    private static final Path ROOT = Manifests.repositoryRoot();
    private static final Path RULES = ROOT.resolve("deploy/prometheus/regent-alerts.yml");
    private static final Path TESTS = ROOT.resolve("deploy/prometheus/regent-alerts.test.yml");

    @Test
    void promtoolFindsTheRulesValidAndTheirTestsPass() throws Exception {
        assertThat(promtool(RULES.getParent(), "check", "rules", RULES.getFileName().toString())).startsWith("0:");
        assertThat(promtool(RULES.getParent(), "test", "rules", TESTS.getFileName().toString())).startsWith("0:");
    }

    @Test
    void everyAlertIsTestedFiringAndNotFiringAndHasARunbook() {
        String runbooks = Manifests.read(ROOT.resolve("docs/runbooks.md"));
        Set<String> anchors = runbooks.lines().filter(line -> line.startsWith("## "))
                .map(line -> line.substring(3).trim().toLowerCase()).collect(Collectors.toSet());
        Map<String, List<Boolean>> firing = new LinkedHashMap<>();
        for (Map<String, Object> test : list(yaml(TESTS).get("tests"))) {
            for (Map<String, Object> check : list(test.get("alert_rule_test"))) {
                firing.computeIfAbsent((String) check.get("alertname"), name -> new ArrayList<>())
                        .add(!list(check.get("exp_alerts")).isEmpty());
            }
        }
        List<String> problems = new ArrayList<>();
        for (Map<String, Object> rule : rules()) {
            String alert = (String) rule.get("alert");
            List<Boolean> cases = firing.getOrDefault(alert, List.of());
            if (!cases.contains(true)) {
                problems.add(alert + ": no test case where it fires");
            }
            if (!cases.contains(false)) {
                problems.add(alert + ": no test case where it does not fire");
            }
            @SuppressWarnings("unchecked")
            String runbook = String.valueOf(((Map<String, Object>) rule.get("annotations")).get("runbook"));
            if (!runbook.equals("docs/runbooks.md#" + alert.toLowerCase()) || !anchors.contains(alert.toLowerCase())) {
                problems.add(alert + ": runbook '" + runbook + "' is not a '## " + alert + "' section of docs/runbooks.md");
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void everyMetricTheRulesReadIsExportedBySomeService() {
        Set<String> metrics = new TreeSet<>();
        for (Map<String, Object> rule : rules()) {
            metrics.addAll(ExportedMetrics.referencedBy(String.valueOf(rule.get("expr"))));
        }
        assertThat(metrics).as("metrics the rules read").hasSizeGreaterThan(10);
        assertThat(ExportedMetrics.notExported(metrics)).as("metrics no service exports under that name").isEmpty();
    }

    /** Runs promtool in {@code dir}: its exit code and output, as "code: output". */
    static String promtool(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("promtool ended").isTrue();
            return process.exitValue() + ": " + output;
        } finally {
            process.destroyForcibly();
        }
    }

    private static List<Map<String, Object>> rules() {
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> group : list(yaml(RULES).get("groups"))) {
            rules.addAll(list(group.get("rules")));
        }
        return rules;
    }

    private static Map<String, Object> yaml(Path file) {
        return new Yaml(new SafeConstructor(new LoaderOptions())).load(Manifests.read(file));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return value == null ? List.of() : (List<Map<String, Object>>) value;
    }
}
