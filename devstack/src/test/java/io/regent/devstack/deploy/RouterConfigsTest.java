package io.regent.devstack.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.regent.testkit.FreePorts;
import io.regent.testkit.SystemPackages;
import io.regent.testkit.haproxy.LocalHaproxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The three HAProxy configurations that route database traffic by the node agents' checks - docs/haproxy.cfg (the
 * reference RoutingIT runs), deploy/compose/haproxy.cfg and the k8s dev overlay's demo-router ConfigMap: HAProxy
 * itself finds each valid, they check the same way, and the k8s one names exactly the StatefulSet's pods on the ports
 * their containers open, is reachable through its Service and NetworkPolicies, and serves its probe and metrics.
 */
class RouterConfigsTest {

    private static final Path ROOT = Manifests.repositoryRoot();
    private static final Path DOCS = ROOT.resolve("docs/haproxy.cfg");
    private static final Path COMPOSE = ROOT.resolve("deploy/compose/haproxy.cfg");
    private static final Path K8S = ROOT.resolve("k8s/overlays/dev/demo-router.yaml");
    private static final String NAMESPACE = "regent-ns-check";

    static Stream<String> configs() {
        return Stream.of("docs", "compose", "k8s");
    }

    @ParameterizedTest
    @MethodSource("configs")
    void haproxyFindsItValidAndItChecksAsTheReferenceDoes(String which) throws Exception {
        String config = config(which);
        Path file = Files.createTempFile("haproxy-" + which, ".cfg");
        try {
            Files.writeString(file, config);
            String[] checked = haproxyCheck(file);
            assertThat(checked[0]).as(which + ": haproxy -c says\n" + checked[1]).isEqualTo("0");
            if (which.equals("k8s")) {
                assertThat(checked[1]).as("POD_NAMESPACE expanded in the servers' names")
                        .contains("demo-0.demo-nodes." + NAMESPACE + ".svc.cluster.local");
            }
        } finally {
            Files.deleteIfExists(file);
        }
        String reference = Files.readString(DOCS);
        assertThat(defaultServerTiming(config)).as(which + ": the check timing of docs/haproxy.cfg")
                .isEqualTo(defaultServerTiming(reference)).contains("inter 1s", "downinter 250ms", "fall 2", "rise 1",
                        "on-marked-down shutdown-sessions");
        assertThat(checkOf(config, "leader")).as(which + ": the leader backend's check").isEqualTo("/leader");
        assertThat(checkOf(config, "followers")).as(which + ": the followers backend's check")
                .isEqualTo(checkOf(reference, "followers")).startsWith("/follower?max-lag-bytes=");
        assertThat(servers(config, "leader")).as(which + ": both backends list the same nodes")
                .isEqualTo(servers(config, "followers")).hasSize(3);
    }

    @Test
    void theKubernetesRouterNamesTheStatefulSetsPodsOnTheirPortsAndIsReachable() {
        List<ObjectNode> cluster = Kustomize.documents(ROOT.resolve("k8s/overlays/dev/demo-cluster.yaml"));
        List<ObjectNode> router = Kustomize.documents(K8S);
        ObjectNode nodes = find(cluster, "StatefulSet", "demo");
        JsonNode nodeContainer = nodes.at("/spec/template/spec/containers/0");
        int postgres = containerPort(nodeContainer, "postgres");
        int agent = containerPort(nodeContainer, "http");
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < nodes.at("/spec/replicas").asInt(); i++) {
            expected.add("demo-" + i + " \"demo-" + i + "." + nodes.at("/spec/serviceName").asText()
                    + ".${POD_NAMESPACE}.svc.cluster.local:" + postgres + "\" check port " + agent);
        }
        String config = router.get(0).at("/data/haproxy.cfg").asText();
        assertThat(servers(config, "leader")).as("a server per pod of the StatefulSet, checked on its agent's port")
                .isEqualTo(expected);

        ObjectNode deployment = find(router, "Deployment", "demo-router");
        JsonNode container = deployment.at("/spec/template/spec/containers/0");
        assertThat(container.path("image").asText()).startsWith("regent/haproxy:");
        assertThat(Manifests.builtHere(container.path("image").asText())).isTrue();
        assertThat(container.path("env").findValuesAsText("fieldPath")).containsExactly("metadata.namespace");
        for (String port : List.of("writes", "reads", "http")) {
            assertThat(config).as("HAProxy binds the container's port " + port)
                    .contains("bind :" + containerPort(container, port) + "\n");
        }
        assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/healthz");
        assertThat(config).contains("monitor-uri /healthz", "use-service prometheus-exporter if { path /q/metrics }");
        assertThat(container.at("/volumeMounts/0/mountPath").asText() + "/haproxy.cfg")
                .as("the ConfigMap where regent/haproxy reads its configuration").isEqualTo(entryPointConfig());

        ObjectNode service = find(router, "Service", "demo-router");
        assertThat(service.at("/spec/selector")).isEqualTo(deployment.at("/spec/selector/matchLabels"));
        List<String> targets = new ArrayList<>();
        service.at("/spec/ports").forEach(p -> targets.add(p.path("port").asInt() + "->" + p.path("targetPort").asText()));
        assertThat(targets).containsExactly("5000->writes", "5001->reads", "8080->http");

        // the nodes admit the router to PostgreSQL and to their agents' checks
        ObjectNode policy = find(cluster, "NetworkPolicy", "regent-demo-nodes-ingress");
        String routerName = deployment.at("/spec/template/metadata/labels/app.kubernetes.io~1name").asText();
        for (int port : List.of(postgres, agent)) {
            boolean admitted = false;
            for (JsonNode rule : policy.at("/spec/ingress")) {
                boolean onPort = rule.path("ports").findValues("port").stream().anyMatch(p -> p.asInt() == port);
                boolean fromRouter = rule.path("from").findValuesAsText("app.kubernetes.io/name").contains(routerName);
                admitted |= onPort && fromRouter;
            }
            assertThat(admitted).as("regent-demo-nodes-ingress admits the router on port " + port).isTrue();
        }
    }

    @Test
    void theKubernetesRouterStartsAndServesItsProbeAndMetricsWithNoNodeResolvable() throws Exception {
        int writes = FreePorts.next();
        int reads = FreePorts.next();
        int http = FreePorts.next();
        int dns = FreePorts.next(); // nothing answers there: the nodes stay unresolved, HAProxy runs anyway
        String config = config("k8s").replace("${POD_NAMESPACE}", NAMESPACE)
                .replace("parse-resolv-conf", "nameserver none 127.0.0.1:" + dns)
                .replace("bind :5000\n", "bind 127.0.0.1:" + writes + "\n")
                .replace("bind :5001\n", "bind 127.0.0.1:" + reads + "\n")
                .replace("bind :8080\n", "bind 127.0.0.1:" + http + "\n");
        assertThat(config).doesNotContain("bind :");
        try (LocalHaproxy haproxy = LocalHaproxy.startWithConfig("k8s-router", config, http)) {
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
                    + "/healthz")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
                    + "/q/metrics")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).as("the servers up per backend, for a dashboard or an alert")
                    .contains("haproxy_backend_active_servers{proxy=\"leader\"} 0")
                    .contains("haproxy_backend_active_servers{proxy=\"followers\"} 0");
        }
    }

    /** The configuration file's text. */
    private static String config(String which) throws Exception {
        return switch (which) {
            case "docs" -> Files.readString(DOCS);
            case "compose" -> Files.readString(COMPOSE);
            case "k8s" -> Kustomize.documents(K8S).get(0).at("/data/haproxy.cfg").asText();
            default -> throw new IllegalArgumentException(which);
        };
    }

    /** Where regent/haproxy's entry point reads its configuration (-f). */
    private static String entryPointConfig() {
        Matcher f = Pattern.compile("\"-f\", \"([^\"]+)\"").matcher(Manifests.read(
                ROOT.resolve("deploy/images/haproxy/Dockerfile")));
        assertThat(f.find()).as("regent/haproxy's ENTRYPOINT names its file").isTrue();
        return f.group(1);
    }

    /** {@code haproxy -c -f file}: its exit code and output. */
    private static String[] haproxyCheck(Path file) throws Exception {
        SystemPackages.machine().ensure(SystemPackages.HAPROXY);
        ProcessBuilder builder = new ProcessBuilder(SystemPackages.HAPROXY.what(), "-c", "-f", file.toString())
                .redirectErrorStream(true);
        builder.environment().put("POD_NAMESPACE", NAMESPACE);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String[] {String.valueOf(process.exitValue()), output};
    }

    /** The check settings of the {@code default-server} line, in order (without the resolver settings). */
    private static List<String> defaultServerTiming(String config) {
        Matcher line = Pattern.compile("(?m)^\\s*default-server (.*)$").matcher(config);
        assertThat(line.find()).as("a default-server line").isTrue();
        Matcher setting = Pattern.compile("(inter|downinter|fall|rise|on-marked-down) \\S+").matcher(line.group(1));
        List<String> settings = new ArrayList<>();
        while (setting.find()) {
            settings.add(setting.group());
        }
        return settings;
    }

    /** The URI a backend's HTTP check asks. */
    private static String checkOf(String config, String backend) {
        Matcher uri = Pattern.compile("http-check send meth GET uri (\\S+)").matcher(backend(config, backend));
        assertThat(uri.find()).as("backend " + backend + " sends an HTTP check").isTrue();
        return uri.group(1);
    }

    /** A backend's server lines, without the keyword. */
    private static List<String> servers(String config, String backend) {
        return backend(config, backend).lines().map(String::strip).filter(l -> l.startsWith("server "))
                .map(l -> l.substring("server ".length())).toList();
    }

    /** Backend {@code name}, or {@code <prefix>_name} (docs/haproxy.cfg: orders_leader). */
    private static String backend(String config, String name) {
        Matcher section = Pattern.compile("(?ms)^\\s*backend (?:\\S+_)?" + name + "\\n(.*?)(?=^\\s*(backend|frontend|resolvers|"
                + "defaults|global|listen)\\b|\\z)").matcher(config);
        assertThat(section.find()).as("a backend " + name).isTrue();
        return section.group(1);
    }

    private static int containerPort(JsonNode container, String name) {
        for (JsonNode port : container.path("ports")) {
            if (port.path("name").asText().equals(name)) {
                return port.path("containerPort").asInt();
            }
        }
        throw new AssertionError(container.path("name").asText() + " has no port " + name);
    }

    private static ObjectNode find(List<ObjectNode> objects, String kind, String name) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)
                && o.at("/metadata/name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }
}
