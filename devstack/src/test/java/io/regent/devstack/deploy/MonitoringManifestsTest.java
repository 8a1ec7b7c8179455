package io.regent.devstack.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * k8s/monitoring against what it monitors: the PrometheusRule carries exactly the rules promtool tests
 * (deploy/prometheus/regent-alerts.yml), and the ServiceMonitor selects every Service of k8s/base and the dev
 * overlay's node agents and router on a port they have - and the NetworkPolicy lets Prometheus reach that port.
 */
class MonitoringManifestsTest {

    private static final Path ROOT = Manifests.repositoryRoot();

    @Test
    void thePrometheusRuleCarriesTheTestedAlertRulesWordForWord() {
        Map<String, Object> rule = yaml("k8s/monitoring/prometheusrule.yaml").get(0);
        Map<String, Object> tested = yaml("deploy/prometheus/regent-alerts.yml").get(0);
        assertThat(map(rule.get("spec")).get("groups")).as("k8s/monitoring/prometheusrule.yaml's groups are those of "
                + "deploy/prometheus/regent-alerts.yml (copy them over after a change)").isEqualTo(tested.get("groups"));
    }

    @Test
    void theServiceMonitorSelectsEveryRegentServiceOnAPortItHasAndPrometheusMayReachIt() {
        Map<String, Object> monitor = yaml("k8s/monitoring/servicemonitor.yaml").get(0);
        Map<String, Object> spec = map(monitor.get("spec"));
        Map<String, Object> selector = map(map(spec.get("selector")).get("matchLabels"));
        List<Map<String, Object>> endpoints = list(spec.get("endpoints"));
        assertThat(endpoints).extracting(e -> e.get("path")).containsOnly("/q/metrics");
        List<String> services = new ArrayList<>();
        for (String file : List.of("k8s/base/registry.yaml", "k8s/base/failover.yaml", "k8s/base/gateway.yaml",
                "k8s/base/monitor.yaml", "k8s/overlays/dev/demo-cluster.yaml", "k8s/overlays/dev/demo-router.yaml")) {
            for (Map<String, Object> object : yaml(file)) {
                if (!"Service".equals(object.get("kind"))) {
                    continue;
                }
                Map<String, Object> labels = map(map(object.get("metadata")).get("labels"));
                String name = (String) map(object.get("metadata")).get("name");
                assertThat(labels).as(file + ": Service " + name + " is selected").containsAllEntriesOf(
                        selector.entrySet().stream().collect(java.util.stream.Collectors.toMap(Map.Entry::getKey,
                                e -> e.getValue())));
                List<Object> ports = list(map(object.get("spec")).get("ports")).stream().map(p -> p.get("name"))
                        .map(Object.class::cast).toList();
                assertThat(ports).as(file + ": Service " + name + " has the scraped port")
                        .containsAll(endpoints.stream().map(e -> e.get("port")).toList());
                services.add(name);
            }
        }
        assertThat(services).contains("regent-registry", "regent-failover", "regent-gateway", "regent-monitor",
                "demo-nodes", "demo-router");
        Map<String, Object> policy = map(yaml("k8s/monitoring/networkpolicy.yaml").get(0).get("spec"));
        assertThat(map(map(policy.get("podSelector")).get("matchLabels"))).as("the policy opens what is scraped")
                .isEqualTo(selector);
        assertThat(list(list(policy.get("ingress")).get(0).get("ports"))).extracting(p -> p.get("port"))
                .containsExactly(8080);
    }

    /**
     * docker-compose.yml's monitoring profile: promtool finds its Prometheus configuration valid (with the rules it
     * mounts), Prometheus scrapes every compose service running a Regent service or node agent, and the router, on
     * the port each answers, and mounts its files where the image and the configuration read them; Grafana gets
     * Prometheus as its data source and the dashboard; neither starts without the profile.
     */
    @Test
    void theComposeMonitoringProfileScrapesEveryRegentContainerAndEvaluatesTheRules() throws Exception {
        Map<String, JsonNode> services = Manifests.composeServices(Manifests.compose());
        Map<String, Object> config = yaml("deploy/compose/prometheus.yml").get(0);
        JsonNode prometheus = services.get("prometheus");
        JsonNode grafana = services.get("grafana");
        assertThat(prometheus).as("a prometheus service").isNotNull();
        assertThat(grafana).as("a grafana service").isNotNull();
        for (JsonNode service : List.of(prometheus, grafana)) {
            assertThat(service.path("profiles").toString()).as("only with --profile monitoring")
                    .isEqualTo("[\"monitoring\"]");
        }
        Map<String, String> mounts = mounts(prometheus);
        assertThat(mounts).containsEntry("/etc/prometheus/prometheus.yml", "./deploy/compose/prometheus.yml");
        assertThat(Manifests.read(ROOT.resolve("deploy/images/prometheus/Dockerfile")))
                .as("regent/prometheus reads the mounted configuration")
                .contains("--config.file=/etc/prometheus/prometheus.yml");
        List<String> rules = ((List<?>) config.get("rule_files")).stream().map(String::valueOf).toList();
        assertThat(rules).allSatisfy(file -> assertThat(mounts).as("the rule file " + file + " is mounted")
                .containsEntry(file, "./deploy/prometheus/regent-alerts.yml"));

        // promtool on a copy whose rule file is the repository's
        Path dir = Files.createTempDirectory("compose-prometheus");
        try {
            String text = Manifests.read(ROOT.resolve("deploy/compose/prometheus.yml"));
            for (String file : rules) {
                text = text.replace(file, ROOT.resolve("deploy/prometheus/regent-alerts.yml").toString());
            }
            Files.writeString(dir.resolve("prometheus.yml"), text);
            assertThat(AlertRulesTest.promtool(dir, "check", "config", "prometheus.yml")).startsWith("0:");
        } finally {
            Files.deleteIfExists(dir.resolve("prometheus.yml"));
            Files.deleteIfExists(dir);
        }

        Map<String, String> targets = new java.util.TreeMap<>(); // host:port -> metrics path
        for (Map<String, Object> job : list(config.get("scrape_configs"))) {
            for (Map<String, Object> group : list(job.get("static_configs"))) {
                for (Object target : (List<?>) group.get("targets")) {
                    targets.put(String.valueOf(target), String.valueOf(job.get("metrics_path")));
                }
            }
        }
        java.util.Set<String> expected = new java.util.TreeSet<>();
        services.forEach((name, service) -> {
            String image = service.path("image").asText();
            if (Manifests.imageModule(image).isPresent()) { // a service, or a node with its agent
                expected.add(name + ":8080");
            }
        });
        String router = Manifests.read(ROOT.resolve("deploy/compose/haproxy.cfg"));
        java.util.regex.Matcher health = java.util.regex.Pattern.compile("frontend health\\n(?:.*\\n)*?\\s*bind :(\\d+)")
                .matcher(router);
        assertThat(health.find()).as("the router's health frontend").isTrue();
        assertThat(router).contains("use-service prometheus-exporter if { path /q/metrics }");
        expected.add("router:" + health.group(1));
        assertThat(targets.keySet()).as("Prometheus scrapes every Regent container and the router").isEqualTo(expected);
        assertThat(targets.values()).containsOnly("/q/metrics");

        Map<String, String> panels = mounts(grafana);
        assertThat(panels).containsEntry("/var/lib/grafana/dashboards/regent-dashboard.json",
                "./deploy/grafana/regent-dashboard.json");
        Map<String, Object> datasource = list(yaml("deploy/compose/grafana/datasources.yml").get(0).get("datasources"))
                .get(0);
        assertThat(datasource.get("url")).isEqualTo("http://prometheus:9090");
        assertThat(prometheus.path("ports").toString()).contains("127.0.0.1:9090:9090");
        assertThat(list(yaml("deploy/compose/grafana/dashboards.yml").get(0).get("providers")).get(0).get("options"))
                .isEqualTo(Map.of("path", "/var/lib/grafana/dashboards"));
        assertThat(panels.keySet()).contains("/etc/grafana/provisioning/datasources/regent.yml",
                "/etc/grafana/provisioning/dashboards/regent.yml");
    }

    /** A compose service's bind mounts and volumes: container path -> source. */
    private static Map<String, String> mounts(JsonNode service) {
        Map<String, String> mounts = new java.util.HashMap<>();
        for (JsonNode volume : service.path("volumes")) {
            String[] parts = volume.asText().split(":");
            mounts.put(parts[1], parts[0]);
        }
        return mounts;
    }

    private static List<Map<String, Object>> yaml(String file) {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml(new SafeConstructor(new LoaderOptions()))
                .loadAll(Manifests.read(ROOT.resolve(file)))) {
            if (document != null) {
                documents.add(map(document));
            }
        }
        return documents;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Object value) {
        return (List<Map<String, Object>>) value;
    }
}
