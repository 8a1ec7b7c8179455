package io.regent.devstack.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard that ships ({@code deploy/grafana/regent-dashboard.json}): valid JSON Grafana can import,
 * a cluster variable for the drill-down, every panel's query valid PromQL (promtool parses each as a recording
 * rule) reading only metrics some service exports.
 */
class GrafanaDashboardTest {

    private static final Path DASHBOARD = Manifests.repositoryRoot()
            .resolve("deploy/grafana/regent-dashboard.json");

    @Test
    void everyPanelQueriesExportedMetricsInValidPromQl(@TempDir Path dir) throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(Manifests.read(DASHBOARD));
        assertThat(dashboard.path("uid").asText()).isEqualTo("regent-fleet");
        List<String> variables = new ArrayList<>();
        dashboard.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText()));
        assertThat(variables).contains("datasource", "cluster");

        List<String> expressions = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if ("row".equals(panel.path("type").asText())) {
                continue;
            }
            if (panel.path("targets").isEmpty()) {
                problems.add("panel '" + panel.path("title").asText() + "' has no query");
            }
            panel.path("targets").forEach(target -> expressions.add(target.path("expr").asText()));
        }
        assertThat(problems).isEmpty();
        assertThat(expressions).hasSizeGreaterThan(20);

        Set<String> metrics = new TreeSet<>();
        expressions.forEach(e -> metrics.addAll(ExportedMetrics.referencedBy(e)));
        assertThat(ExportedMetrics.notExported(metrics)).as("metrics no service exports under that name").isEmpty();
        // the gauges an operator needs most are on it
        assertThat(metrics).contains("regent_cluster_leader", "regent_node_reachable", "regent_node_lag_bytes",
                "regent_node_lag_transactions", "regent_failover_operations_total",
                "regent_failover_phase_seconds_bucket");

        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (int i = 0; i < expressions.size(); i++) {
            String expression = expressions.get(i).replace("$cluster", "orders").replace("'", "''");
            rules.append("      - record: regent_dashboard_query_").append(i).append("\n        expr: '")
                    .append(expression).append("'\n");
        }
        Files.writeString(dir.resolve("queries.yml"), rules);
        assertThat(AlertRulesTest.promtool(dir, "check", "rules", "queries.yml")).startsWith("0:");
    }
}
