package io.regent.devstack.deploy;

import static org.assertj.core.api.Assertions.assertThat;

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
 * overlay's node agents on a port they have - and the NetworkPolicy lets Prometheus reach that port.
 */
class MonitoringManifestsTest {

    private static final Path ROOT = DeploymentManifestsTest.repositoryRoot();

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
                "k8s/base/monitor.yaml", "k8s/overlays/dev/demo-cluster.yaml")) {
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
                "demo-nodes");
        Map<String, Object> policy = map(yaml("k8s/monitoring/networkpolicy.yaml").get(0).get("spec"));
        assertThat(map(map(policy.get("podSelector")).get("matchLabels"))).as("the policy opens what is scraped")
                .isEqualTo(selector);
        assertThat(list(list(policy.get("ingress")).get(0).get("ports"))).extracting(p -> p.get("port"))
                .containsExactly(8080);
    }

    private static List<Map<String, Object>> yaml(String file) {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml(new SafeConstructor(new LoaderOptions()))
                .loadAll(DeploymentManifestsTest.read(ROOT.resolve(file)))) {
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
