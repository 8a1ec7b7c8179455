package io.regent.devstack.deploy;

import static io.regent.devstack.deploy.Manifests.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.events.TopicSpec;
import io.regent.events.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** k8s/: the base and the overlays against what the services read and what a cluster enforces. */
class KubernetesManifestsTest {

    static Stream<Path> kustomizations() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT.resolve("k8s"))) {
            return files.filter(f -> f.getFileName().toString().equals("kustomization.yaml")).map(ROOT::relativize)
                    .sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kustomizations")
    void kustomizationListsOnlyFilesThatExist(Path relative) {
        Problems problems = new Problems();
        Path kustomization = ROOT.resolve(relative);
        Path dir = kustomization.getParent();
        String where = relative.toString();
        JsonNode k = yamlFile(kustomization);
        for (JsonNode resource : k.path("resources")) {
            Path path = dir.resolve(resource.asText()).normalize();
            problems.check(Files.isRegularFile(path) || Files.isRegularFile(path.resolve("kustomization.yaml")),
                    where + " lists resource " + resource.asText() + ", which does not exist");
        }
        for (JsonNode patch : k.path("patches")) {
            if (patch.has("path")) {
                problems.check(Files.isRegularFile(dir.resolve(patch.path("path").asText())),
                        where + " lists patch " + patch.path("path").asText() + ", which does not exist");
            }
        }
        for (JsonNode patch : k.path("patchesStrategicMerge")) {
            problems.check(Files.isRegularFile(dir.resolve(patch.asText())), where + " lists patch " + patch.asText()
                    + ", which does not exist");
        }
        for (String generator : List.of("secretGenerator", "configMapGenerator")) {
            for (JsonNode entry : k.path(generator)) {
                boolean secret = generator.equals("secretGenerator");
                problems.check(!secret || !entry.has("literals"), where + ": secretGenerator " + entry.path("name").asText()
                        + " has literals - secret values must not be committed; read them from an ignored env file");
                List<String> files = new ArrayList<>();
                entry.path("envs").forEach(e -> files.add(e.asText()));
                entry.path("files").forEach(e -> files.add(e.asText().replaceFirst("^[^=]*=", "")));
                for (String file : files) {
                    if (secret) {
                        problems.check(gitignored(dir, file), where + ": " + file + " holds secrets; list it in "
                                + ROOT.relativize(dir.resolve(".gitignore")));
                        problems.check(Files.isRegularFile(dir.resolve(file + ".example")), where + ": commit "
                                + file + ".example listing the keys of " + file);
                    } else {
                        problems.check(Files.isRegularFile(dir.resolve(file)), where + " generates from " + file
                                + ", which does not exist");
                    }
                }
            }
        }
        problems.assertNone(where);
    }

    @Test
    void configMapAndSecretReferencesResolve() {
        Problems problems = new Problems();
        Map<String, JsonNode> configMaps = new LinkedHashMap<>();
        k8sBase().stream().filter(m -> m.kind().equals("ConfigMap")).forEach(m -> configMaps.put(m.name(), m.doc()));
        String readme = read(ROOT.resolve("k8s/README.md"));
        List<GeneratedSecret> generated = generatedSecrets();
        Set<String> secretsUsed = new TreeSet<>();
        for (Workload workload : k8sWorkloads()) {
            for (JsonNode entry : workload.container().path("env")) {
                JsonNode from = entry.path("valueFrom");
                if (from.has("configMapKeyRef")) {
                    String name = from.path("configMapKeyRef").path("name").asText();
                    String key = from.path("configMapKeyRef").path("key").asText();
                    JsonNode configMap = configMaps.get(name);
                    if (configMap == null) {
                        problems.add(workload + " reads ConfigMap " + name + ", which k8s/base does not define (it has "
                                + configMaps.keySet() + ")");
                    } else {
                        problems.check(configMap.path("data").has(key), workload + " reads key " + key + " of ConfigMap "
                                + name + ", which has only " + fieldNames(configMap.path("data")));
                    }
                }
                if (from.has("secretKeyRef")) {
                    String name = from.path("secretKeyRef").path("name").asText();
                    String key = from.path("secretKeyRef").path("key").asText();
                    secretsUsed.add(name);
                    problems.check(readme.contains("`" + name + "`") && readme.contains("`" + key + "`"), workload
                            + " reads key " + key + " of Secret " + name + ": document both in k8s/README.md so that "
                            + "whoever installs the base can create it");
                    generated.stream().filter(g -> g.name().equals(name)).forEach(g -> problems.check(
                            g.keys().contains(key), g.overlay() + " generates Secret " + name + " without key " + key
                                    + ": add it to " + g.example()));
                }
            }
            for (JsonNode from : workload.container().path("envFrom")) {
                problems.check(!from.has("secretRef"), workload + " takes a whole Secret (envFrom.secretRef): use "
                        + "secretKeyRef per variable, so the variables a pod gets are visible and checked");
                if (from.has("configMapRef")) {
                    problems.check(configMaps.containsKey(from.path("configMapRef").path("name").asText()), workload
                            + " takes ConfigMap " + from.path("configMapRef").path("name").asText() + ", which k8s/base does not define");
                }
            }
        }
        generated.forEach(g -> problems.check(secretsUsed.contains(g.name()), g.overlay() + " generates Secret "
                + g.name() + ", which no Deployment reads"));
        // overlays patch only keys the base ConfigMap has (a misspelt key would be silently added)
        for (Manifest patch : overlayPatches()) {
            if (patch.kind().equals("ConfigMap")) {
                JsonNode base = configMaps.get(patch.name());
                for (String key : fieldNames(patch.doc().path("data"))) {
                    problems.check(base != null && base.path("data").has(key), patch + " sets " + key
                            + ", which the base ConfigMap " + patch.name() + " does not have");
                }
            }
        }
        // the registry URL names the registry's Service
        configMaps.values().forEach(configMap -> uri(configMap.path("data").path("REGENT_REGISTRY_URL").asText(null))
                .ifPresent(url -> {
                    Optional<Manifest> service = k8sBase().stream().filter(m -> m.kind().equals("Service")
                            && m.name().equals(url.getHost())).findFirst();
                    Optional<Workload> registry = k8sWorkloads().stream().filter(w -> w.module().equals("registry-service"))
                            .findFirst();
                    problems.check(service.isPresent() && registry.isPresent()
                                    && selects(service.get().doc().path("spec").path("selector"), podLabels(registry.get()))
                                    && servicePortTargets(service.get().doc(), url.getPort(), registry.get().container()),
                            "ConfigMap REGENT_REGISTRY_URL " + url + " should be http://<the registry's Service>:<its port>");
                }));
        configMaps.values().forEach(configMap -> uri(configMap.path("data").path("REGENT_OIDC_URL").asText(null))
                .ifPresent(url -> problems.check(url.getPath().endsWith("/realms/" + realm().path("realm").asText()),
                        "ConfigMap REGENT_OIDC_URL " + url + " should end with /realms/" + realm().path("realm").asText())));
        problems.assertNone("ConfigMap and Secret references in k8s/");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.regent.devstack.deploy.Manifests#k8sWorkloadStream")
    void deploymentIsProbedLimitedAndNonRoot(Workload workload) {
        Problems problems = new Problems();
        JsonNode deployment = workload.node();
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        JsonNode container = workload.container();
        problems.check(container.has("livenessProbe") && container.has("readinessProbe"),
                workload + " needs a livenessProbe and a readinessProbe");
        JsonNode resources = container.path("resources");
        problems.check(resources.path("requests").has("cpu") && resources.path("requests").has("memory"),
                workload + " needs resources.requests (cpu and memory) so the scheduler reserves them");
        problems.check(resources.path("limits").has("memory"), workload + " needs resources.limits.memory");
        boolean nonRoot = pod.path("securityContext").path("runAsNonRoot").asBoolean(false)
                || container.path("securityContext").path("runAsNonRoot").asBoolean(false);
        problems.check(nonRoot, workload + " needs securityContext.runAsNonRoot: true");
        problems.check(!container.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true),
                workload + " should set allowPrivilegeEscalation: false");
        String account = pod.path("serviceAccountName").asText("default");
        problems.check(k8sBase().stream().anyMatch(m -> m.kind().equals("ServiceAccount") && m.name().equals(account)),
                workload + " runs as ServiceAccount " + account + ", which k8s/base does not define");
        problems.check(selects(deployment.path("spec").path("selector"), podLabels(workload)), workload
                + ": spec.selector does not match the pod template's labels");
        problems.check(k8sBase().stream().anyMatch(m -> m.kind().equals("Service")
                        && selects(m.doc().path("spec").path("selector"), podLabels(workload))
                        && m.doc().path("spec").path("ports").size() > 0
                        && servicePortTargets(m.doc(), m.doc().path("spec").path("ports").get(0).path("port").asInt(), container)),
                workload + " has no Service selecting its pods with a port that targets " + HTTP_PORT);
        problems.assertNone(workload + ": hardening");
    }

    @Test
    void failoverAndAgentsKeepTheirRedundancy() {
        Problems problems = new Problems();
        for (Workload workload : k8sWorkloads()) {
            int replicas = workload.node().path("spec").path("replicas").asInt(1);
            String name = workload.node().path("metadata").path("name").asText();
            String kind = workload.node().path("kind").asText();
            List<Integer> patched = overlayPatches().stream().filter(p -> p.kind().equals(kind)
                    && p.name().equals(name) && p.doc().path("spec").has("replicas"))
                    .map(p -> p.doc().path("spec").path("replicas").asInt()).toList();
            if (workload.module().equals("failover-service")) {
                problems.check(replicas > 1, workload + " runs " + replicas + " replica(s): run at least 2, so that "
                        + "another instance takes a dead one's clusters over");
                patched.forEach(r -> problems.check(r > 1,
                        "an overlay patches " + name + " to " + r + " replica(s): keep at least 2"));
            }
            if (workload.module().equals("monitor-service")) {
                problems.check(replicas >= 3, workload + " runs " + replicas + " agents: run at least 3 so that the "
                        + "observer quorum (2) survives losing one");
                patched.forEach(r -> problems.check(r >= 3,
                        "an overlay patches " + name + " to " + r + " agents: keep at least 3"));
                boolean spread = false;
                JsonNode pod = workload.node().path("spec").path("template").path("spec");
                for (JsonNode constraint : pod.path("topologySpreadConstraints")) {
                    spread |= constraint.path("topologyKey").asText().equals("topology.kubernetes.io/zone")
                            && selects(constraint.path("labelSelector"), podLabels(workload));
                }
                problems.check(spread, workload + " should spread its agents across zones (topologySpreadConstraints "
                        + "on topology.kubernetes.io/zone selecting its pods)");
            }
        }
        problems.assertNone("redundancy");
    }

    @Test
    void podDisruptionBudgetsCoverTheDeployments() {
        Problems problems = new Problems();
        List<Manifest> budgets = k8sBase().stream().filter(m -> m.kind().equals("PodDisruptionBudget")).toList();
        List<Workload> workloads = k8sWorkloads();
        for (Workload workload : workloads) {
            List<Manifest> mine = budgets.stream()
                    .filter(b -> selects(b.doc().path("spec").path("selector"), podLabels(workload))).toList();
            if (PDB_PROMISED.contains(workload.module())) {
                problems.check(!mine.isEmpty(), workload + " has no PodDisruptionBudget selecting its pods' labels "
                        + podLabels(workload));
            }
            int replicas = workload.node().path("spec").path("replicas").asInt(1);
            for (Manifest budget : mine) {
                JsonNode min = budget.doc().path("spec").path("minAvailable");
                problems.check(!min.isInt() || min.asInt() < replicas, budget + " keeps minAvailable " + min.asInt()
                        + " of " + replicas + " pods: no node could ever be drained");
            }
        }
        for (Manifest budget : budgets) {
            long selected = workloads.stream().filter(w -> selects(budget.doc().path("spec").path("selector"), podLabels(w)))
                    .count();
            problems.check(selected == 1, budget + " selects " + selected + " Deployments' pods; it should select exactly one");
        }
        problems.assertNone("PodDisruptionBudgets");
    }

    @Test
    void networkPoliciesAdmitOnlyTheGatewayFromOutside() {
        Problems problems = new Problems();
        List<Manifest> policies = k8sBase().stream().filter(m -> m.kind().equals("NetworkPolicy")).toList();
        problems.check(policies.stream().anyMatch(p -> {
            JsonNode spec = p.doc().path("spec");
            return spec.path("podSelector").isEmpty() && text(spec.path("policyTypes")).contains("Ingress")
                    && spec.path("ingress").isEmpty();
        }), "k8s/base needs a default-deny NetworkPolicy (podSelector: {}, policyTypes: [Ingress], no ingress rules)");
        List<Workload> workloads = k8sWorkloads();
        for (Manifest policy : policies) {
            JsonNode spec = policy.doc().path("spec");
            List<Workload> targets = workloads.stream().filter(w -> selects(spec.path("podSelector"), podLabels(w))).toList();
            for (JsonNode rule : spec.path("ingress")) {
                boolean external = !rule.has("from") || rule.path("from").isEmpty();
                for (JsonNode peer : rule.path("from")) {
                    external |= peer.has("ipBlock") || peer.has("namespaceSelector");
                    if (peer.has("podSelector") && !peer.has("namespaceSelector")) {
                        problems.check(workloads.stream().anyMatch(w -> selects(peer.path("podSelector"), podLabels(w))),
                                policy + " admits pods " + peer.path("podSelector") + ", which no Deployment runs");
                    }
                }
                if (external) {
                    for (Workload target : targets) {
                        problems.check(target.module().equals("api-gateway"), policy + " admits traffic from outside the "
                                + "namespace to " + target + ": only the gateway is public");
                    }
                }
            }
        }
        // whatever calls the registry may reach it
        Optional<Workload> registry = workloads.stream().filter(w -> w.module().equals("registry-service")).findFirst();
        for (Workload caller : workloads) {
            if (registry.isPresent() && caller.env().containsKey("REGENT_REGISTRY_URL")) {
                problems.check(admits(policies, caller, registry.get(), HTTP_PORT), "no NetworkPolicy admits " + caller
                        + " to the registry on port " + HTTP_PORT + ", which it calls");
            }
        }
        problems.assertNone("NetworkPolicies");
    }

    @Test
    void noSecretValueIsCommitted() throws IOException {
        Problems problems = new Problems();
        try (Stream<Path> files = Files.walk(ROOT.resolve("k8s"))) {
            for (Path file : files.filter(f -> f.toString().matches(".*\\.ya?ml$")).sorted().toList()) {
                for (JsonNode doc : yamlDocuments(read(file))) {
                    if ("Secret".equals(doc.path("kind").asText())) {
                        problems.check(doc.path("data").isEmpty() && doc.path("stringData").isEmpty(), ROOT.relativize(file)
                                + " commits Secret " + doc.path("metadata").path("name").asText() + " with values: reference "
                                + "it by name and create it outside git (k8s/README.md)");
                    }
                }
            }
        }
        for (Workload workload : k8sWorkloads()) {
            for (JsonNode entry : workload.container().path("env")) {
                String name = entry.path("name").asText();
                problems.check(!secretName(name) || entry.path("valueFrom").has("secretKeyRef"), workload + " sets " + name
                        + " without a secretKeyRef: secrets come from a Secret, never from the manifest");
            }
        }
        problems.addAll(composeSecretProblems(compose()));
        problems.assertNone("committed secrets");
    }

    @Test
    void strimziKafkaRunsInKraftModeAndTheBootstrapPointsAtIt() {
        Problems problems = new Problems();
        for (Path overlay : overlays()) {
            List<Manifest> own = overlayResources(overlay);
            for (Manifest kafka : own.stream().filter(m -> m.kind().equals("Kafka")).toList()) {
                String name = kafka.name();
                problems.check(kafka.doc().path("apiVersion").asText().startsWith("kafka.strimzi.io/"), kafka
                        + " should be a Strimzi kafka.strimzi.io/v1beta2 Kafka");
                JsonNode annotations = kafka.doc().path("metadata").path("annotations");
                problems.check("enabled".equals(annotations.path("strimzi.io/kraft").asText()), kafka
                        + " needs the annotation strimzi.io/kraft: enabled");
                problems.check("enabled".equals(annotations.path("strimzi.io/node-pools").asText()), kafka
                        + " needs the annotation strimzi.io/node-pools: enabled");
                Set<String> roles = new TreeSet<>();
                own.stream().filter(m -> m.kind().equals("KafkaNodePool")
                                && name.equals(m.doc().path("metadata").path("labels").path("strimzi.io/cluster").asText()))
                        .forEach(pool -> pool.doc().path("spec").path("roles").forEach(r -> roles.add(r.asText())));
                problems.check(roles.containsAll(List.of("broker", "controller")), kafka + " needs KafkaNodePools "
                        + "labelled strimzi.io/cluster: " + name + " with the roles controller and broker (has " + roles + ")");
                problems.check("false".equals(kafka.doc().path("spec").path("kafka").path("config")
                        .path("auto.create.topics.enable").asText()), kafka + " should set auto.create.topics.enable: false "
                        + "(Regent's topics come from KafkaTopics with their partitions)");
                Set<String> bootstraps = new TreeSet<>();
                for (JsonNode listener : kafka.doc().path("spec").path("kafka").path("listeners")) {
                    // the services speak SASL_SSL: an internal listener with TLS
                    if (listener.path("tls").asBoolean(false) && listener.path("type").asText().equals("internal")) {
                        bootstraps.add(name + "-kafka-bootstrap:" + listener.path("port").asInt());
                    }
                }
                String configured = overlayPatches(overlay).stream().filter(p -> p.kind().equals("ConfigMap"))
                        .map(p -> p.doc().path("data").path("REGENT_KAFKA_BOOTSTRAP").asText(null))
                        .filter(Objects::nonNull).findFirst().orElse(null);
                problems.check(configured != null && bootstraps.contains(configured), ROOT.relativize(overlay)
                        + " should patch REGENT_KAFKA_BOOTSTRAP to the Strimzi bootstrap Service of a TLS listener " + bootstraps
                        + " (it is " + configured + ")");
                for (Manifest topic : own.stream().filter(m -> m.kind().equals("KafkaTopic")).toList()) {
                    String topicName = topic.doc().path("spec").path("topicName").asText(topic.name());
                    problems.check(Topics.ALL.stream().anyMatch(t -> t.name().equals(topicName)), topic + " creates "
                            + topicName + ", which io.regent.events.Topics does not know");
                }
            }
        }
        problems.check(!overlays().isEmpty() && overlays().stream().anyMatch(o -> overlayResources(o).stream()
                .anyMatch(m -> m.kind().equals("Kafka"))), "k8s/overlays/dev should add a Strimzi Kafka");
        problems.assertNone("Strimzi Kafka");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.regent.devstack.deploy.Manifests#topics")
    void kafkaTopicsMatchTopics(TopicSpec spec) {
        Problems problems = new Problems();
        for (Path overlay : overlays()) {
            List<Manifest> own = overlayResources(overlay);
            for (Manifest kafka : own.stream().filter(m -> m.kind().equals("Kafka")).toList()) {
                Optional<Manifest> topic = own.stream().filter(m -> m.kind().equals("KafkaTopic")
                        && m.doc().path("spec").path("topicName").asText(m.name()).equals(spec.name())).findFirst();
                if (topic.isEmpty()) {
                    problems.add(ROOT.relativize(overlay) + " has no KafkaTopic for " + spec.name());
                    continue;
                }
                JsonNode doc = topic.get().doc();
                problems.check(kafka.name().equals(doc.path("metadata").path("labels").path("strimzi.io/cluster").asText()),
                        topic.get() + " should carry the label strimzi.io/cluster: " + kafka.name());
                problems.check(doc.path("spec").path("partitions").asInt() == spec.partitions(), topic.get() + " has "
                        + doc.path("spec").path("partitions").asInt() + " partitions; Topics says " + spec.partitions());
                Map<String, String> configs = new TreeMap<>();
                doc.path("spec").path("config").properties().forEach(e -> configs.put(e.getKey(), e.getValue().asText()));
                problems.check(configs.equals(new TreeMap<>(spec.configs())), topic.get() + " has config " + configs
                        + "; Topics says " + new TreeMap<>(spec.configs()));
                problems.check(spec.cleanupPolicy().equals(configs.get("cleanup.policy")), topic.get()
                        + " must have cleanup.policy " + spec.cleanupPolicy());
            }
        }
        problems.assertNone("KafkaTopic " + spec.name());
    }
}
