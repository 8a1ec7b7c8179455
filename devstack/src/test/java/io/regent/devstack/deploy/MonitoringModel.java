package io.regent.devstack.deploy;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.List;
import java.util.Map;

/**
 * The part of the Prometheus Operator's custom resources ({@code monitoring.coreos.com/v1}) that k8s/monitoring
 * uses, field names and types as in the operator's CRDs. {@link KubernetesSchemaTest} parses strictly into it:
 * a misspelt or misplaced field is an error, as the API server's schema would make it. (No maintained Java model
 * of these CRDs is on this machine; a field the operator knows but this subset lacks is refused too - the safe
 * side: add it here when k8s/monitoring needs it.)
 */
final class MonitoringModel {

    private MonitoringModel() {
    }

    record ServiceMonitor(String apiVersion, String kind, ObjectMeta metadata, ServiceMonitorSpec spec) {
    }

    record ServiceMonitorSpec(LabelSelector selector, List<Endpoint> endpoints, NamespaceSelector namespaceSelector,
            String jobLabel) {
    }

    record Endpoint(String port, String path, String interval, String scrapeTimeout, String scheme) {
    }

    record NamespaceSelector(Boolean any, List<String> matchNames) {
    }

    record PrometheusRule(String apiVersion, String kind, ObjectMeta metadata, PrometheusRuleSpec spec) {
    }

    record PrometheusRuleSpec(List<RuleGroup> groups) {
    }

    record RuleGroup(String name, String interval, List<Rule> rules) {
    }

    record Rule(String alert, String record, String expr, @JsonProperty("for") String forDuration,
            Map<String, String> labels, Map<String, String> annotations) {
    }
}
