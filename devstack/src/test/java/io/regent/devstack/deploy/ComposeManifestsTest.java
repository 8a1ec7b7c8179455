package io.regent.devstack.deploy;

import static io.regent.devstack.deploy.Manifests.*;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.events.TopicSpec;
import io.regent.events.Topics;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** docker-compose.yml (+ .env.example, deploy/compose/): what each service needs, in the order it needs it. */
class ComposeManifestsTest {

    @Test
    void composeMountsTheRealmAndGivesKeycloakItsPlaceholders() {
        Problems problems = new Problems();
        Map<String, JsonNode> services = composeServices(compose());
        Optional<Map.Entry<String, JsonNode>> found = services.entrySet().stream()
                .filter(e -> e.getValue().path("image").asText().contains("keycloak")).findFirst();
        if (found.isEmpty()) {
            problems.add("docker-compose.yml has no Keycloak service (image quay.io/keycloak/keycloak)");
            problems.assertNone("Keycloak in docker-compose.yml");
        }
        String name = found.get().getKey();
        JsonNode keycloak = found.get().getValue();
        Optional<String> mounted = Optional.empty();
        for (JsonNode volume : keycloak.path("volumes")) {
            String[] parts = volume.isTextual() ? volume.asText().split(":")
                    : new String[] {volume.path("source").asText(), volume.path("target").asText()};
            if (parts.length >= 2 && parts[1].equals(REALM_IMPORT_PATH)) {
                mounted = Optional.of(parts[0]);
            }
        }
        problems.check(mounted.isPresent(), "docker-compose.yml service " + name + " mounts nothing at "
                + REALM_IMPORT_PATH + ": add volumes: [./" + REALM_FILE + ":" + REALM_IMPORT_PATH + ":ro]");
        mounted.ifPresent(source -> {
            Path file = ROOT.resolve(source).normalize();
            problems.check(file.equals(ROOT.resolve(REALM_FILE)), "docker-compose.yml service " + name + " imports "
                    + source + " instead of ./" + REALM_FILE + " (the realm every deployment and test uses)");
            problems.check(Files.isRegularFile(file), "docker-compose.yml service " + name + " mounts " + source
                    + ", which does not exist");
        });
        problems.check(text(keycloak.path("command")).contains("--import-realm"),
                "docker-compose.yml service " + name + " must start with --import-realm");

        Map<String, String> env = composeEnvironment(keycloak);
        Set<String> placeholders = realmPlaceholders();
        for (String placeholder : placeholders) {
            problems.check(env.containsKey(placeholder) && !env.get(placeholder).isBlank(), "docker-compose.yml service "
                    + name + " does not set " + placeholder + ", which " + REALM_FILE + " uses as ${" + placeholder + "}");
        }
        for (String variable : env.keySet()) {
            problems.check(!variable.startsWith("REGENT_") || placeholders.contains(variable), "docker-compose.yml service "
                    + name + " sets " + variable + ", which " + REALM_FILE + " never uses (placeholders: " + placeholders + ")");
        }
        problems.check("true".equals(env.get("KC_HEALTH_ENABLED")),
                "docker-compose.yml service " + name + ": KC_HEALTH_ENABLED=true, or /health/ready does not exist");
        problems.check(text(keycloak.path("healthcheck").path("test")).contains("/health/ready"),
                "docker-compose.yml service " + name + ": the healthcheck should ask /health/ready on the management port");

        // the dashboard's redirect URIs must be where the gateway is published
        composeWorkloads(compose()).stream().filter(w -> w.module().equals("api-gateway")).findFirst()
                .ifPresent(gateway -> composePorts(gateway.node()).stream()
                        .filter(p -> p.container() == HTTP_PORT).findFirst()
                        .ifPresent(p -> problems.check(("http://localhost:" + p.host()).equals(env.get("REGENT_DASHBOARD_URL")),
                                "docker-compose.yml service " + name + ": REGENT_DASHBOARD_URL is " + env.get("REGENT_DASHBOARD_URL")
                                        + ", but the gateway is published at http://localhost:" + p.host())));
        problems.assertNone("Keycloak in docker-compose.yml");
    }

    @Test
    void composeServicesUseTheClientSecretsKeycloakWasGiven() {
        Problems problems = new Problems();
        Map<String, JsonNode> services = composeServices(compose());
        Map<String, String> keycloakEnv = services.values().stream()
                .filter(s -> s.path("image").asText().contains("keycloak")).findFirst()
                .map(Manifests::composeEnvironment).orElse(Map.of());
        for (Workload workload : composeWorkloads(compose())) {
            if (!workload.env().containsKey("REGENT_OIDC_CLIENT_SECRET")) {
                continue;
            }
            String clientId = Optional.ofNullable(literal(workload.env().get("REGENT_OIDC_CLIENT_ID")))
                    .orElse(CONFIGS.get(workload.module()).defaultOf("REGENT_OIDC_CLIENT_ID"));
            JsonNode client = realmClient(clientId);
            if (client == null) {
                continue; // environmentIsWhatTheServiceReads reports it
            }
            Matcher placeholder = REALM_PLACEHOLDER.matcher(client.path("secret").asText());
            if (!placeholder.matches()) {
                problems.add(REALM_FILE + ": client " + clientId
                        + "'s secret should be a ${REGENT_..._CLIENT_SECRET} placeholder");
                continue;
            }
            Optional<String> serviceSide = reference(literal(workload.env().get("REGENT_OIDC_CLIENT_SECRET")));
            Optional<String> keycloakSide = reference(keycloakEnv.get(placeholder.group(1)));
            problems.check(serviceSide.isPresent() && serviceSide.equals(keycloakSide), workload + " authenticates as "
                    + clientId + " with " + workload.env().get("REGENT_OIDC_CLIENT_SECRET").asText() + ", but Keycloak gets that "
                    + "client's secret (" + placeholder.group(1) + ") from " + keycloakEnv.get(placeholder.group(1))
                    + ": both must be the same ${...} variable");
        }
        problems.assertNone("client secrets in docker-compose.yml");
    }

    @Test
    void composeStartsEveryServiceAfterWhatItNeeds() {
        Problems problems = new Problems();
        JsonNode compose = compose();
        Map<String, JsonNode> services = composeServices(compose);
        for (Map.Entry<String, JsonNode> service : services.entrySet()) {
            dependencies(service.getValue()).forEach((target, condition) -> {
                JsonNode dependency = services.get(target);
                if (dependency == null) {
                    problems.add("docker-compose.yml service " + service.getKey() + " depends on " + target
                            + ", which is not a service");
                    return;
                }
                if (condition.equals("service_healthy")) {
                    JsonNode check = dependency.path("healthcheck");
                    problems.check(!check.isMissingNode() && !check.path("disable").asBoolean(false),
                            "docker-compose.yml service " + service.getKey() + " waits for " + target
                                    + " to be healthy, but " + target + " has no healthcheck: it would never start");
                } else if (condition.equals("service_completed_successfully")) {
                    problems.check(!dependency.path("restart").asText("no").matches("always|unless-stopped"),
                            "docker-compose.yml service " + service.getKey() + " waits for " + target
                                    + " to complete, but " + target + " restarts forever");
                }
            });
        }
        // a Regent service starts only once everything it calls is ready
        for (Workload workload : composeWorkloads(compose)) {
            Set<String> ready = readyBefore(services, workload.name());
            for (String host : composeHostsCalled(workload)) {
                problems.check(ready.contains(host), workload + " calls " + host + ", but does not wait for it: add "
                        + "depends_on: {" + host + ": {condition: service_healthy}} (directly or through a service that does)");
            }
        }
        problems.assertNone("start order in docker-compose.yml");
    }

    @Test
    void composePublishesOnlyTheGatewayKeycloakKafkasHostListenerTheRouterAndMonitoringOnLoopback() {
        Problems problems = new Problems();
        Map<String, JsonNode> services = composeServices(compose());
        for (Map.Entry<String, JsonNode> service : services.entrySet()) {
            JsonNode node = service.getValue();
            boolean gateway = composeModule(node).filter(m -> m.equals("api-gateway")).isPresent();
            boolean keycloak = node.path("image").asText().contains("keycloak");
            List<PortMapping> ports = composePorts(node);
            if (service.getKey().equals("kafka")) {
                // the EXTERNAL listener only, on the host's loopback, at the port it advertises
                Map<String, String> env = composeEnvironment(node);
                java.util.regex.Matcher listener = java.util.regex.Pattern.compile("EXTERNAL://:(\\d+)")
                        .matcher(env.getOrDefault("KAFKA_LISTENERS", ""));
                java.util.regex.Matcher advertised = java.util.regex.Pattern.compile("EXTERNAL://localhost:(\\d+)")
                        .matcher(env.getOrDefault("KAFKA_ADVERTISED_LISTENERS", ""));
                List<String> raw = new ArrayList<>();
                node.path("ports").forEach(p -> raw.add(p.asText()));
                problems.check(listener.find() && advertised.find() && raw.equals(List.of("127.0.0.1:"
                        + advertised.group(1) + ":" + listener.group(1))), "docker-compose.yml service kafka publishes "
                        + raw + ": only its EXTERNAL listener, as 127.0.0.1:<advertised port>:<listener port>");
                continue;
            }
            if (service.getKey().equals("router")) {
                // the demo cluster's writes and reads, on the host's loopback, at the ports its HAProxy binds
                String config = read(ROOT.resolve("deploy/compose/haproxy.cfg"));
                List<String> raw = new ArrayList<>();
                node.path("ports").forEach(p -> raw.add(p.asText()));
                problems.check(raw.equals(List.of("127.0.0.1:5000:5000", "127.0.0.1:5001:5001"))
                        && config.contains("bind :5000") && config.contains("bind :5001"), "docker-compose.yml "
                        + "service router publishes " + raw + ": only 127.0.0.1:5000 (writes) and 127.0.0.1:5001 "
                        + "(reads), the ports deploy/compose/haproxy.cfg binds");
                continue;
            }
            Map<String, String> monitoring = Map.of("prometheus", "127.0.0.1:9090:9090", "grafana", "127.0.0.1:3000:3000");
            if (monitoring.containsKey(service.getKey())) {
                // the optional monitoring profile's UIs, on the host's loopback
                List<String> raw = new ArrayList<>();
                node.path("ports").forEach(p -> raw.add(p.asText()));
                problems.check(raw.equals(List.of(monitoring.get(service.getKey()))), "docker-compose.yml service "
                        + service.getKey() + " publishes " + raw + ": only " + monitoring.get(service.getKey()));
                continue;
            }
            if (!gateway && !keycloak) {
                problems.check(ports.isEmpty(), "docker-compose.yml service " + service.getKey() + " publishes " + ports
                        + ": only the gateway, Keycloak, Kafka's host listener, the router and the monitoring "
                        + "profile's Prometheus and Grafana are reachable from the host");
                problems.check(!node.has("network_mode"), "docker-compose.yml service " + service.getKey()
                        + " sets network_mode, which bypasses the compose network");
            } else {
                problems.check(ports.stream().anyMatch(p -> p.container() == HTTP_PORT), "docker-compose.yml service "
                        + service.getKey() + " should publish its container port " + HTTP_PORT + " (it publishes " + ports + ")");
            }
        }
        problems.assertNone("published ports in docker-compose.yml");
    }

    @Test
    void composeAddressesPointAtComposeServices() {
        Problems problems = new Problems();
        Map<String, JsonNode> services = composeServices(compose());
        for (Workload workload : composeWorkloads(compose())) {
            Map<String, String> env = composeEnvironment(workload.node());
            uri(env.get("REGENT_REGISTRY_URL")).ifPresent(url -> {
                JsonNode target = services.get(url.getHost());
                problems.check(target != null && composeModule(target).filter("registry-service"::equals).isPresent()
                                && url.getPort() == HTTP_PORT,
                        workload + ": REGENT_REGISTRY_URL " + url + " should be http://<the registry's service name>:" + HTTP_PORT);
            });
            uri(env.get("REGENT_OIDC_URL")).ifPresent(url -> {
                JsonNode target = services.get(url.getHost());
                problems.check(target != null && target.path("image").asText().contains("keycloak"),
                        workload + ": REGENT_OIDC_URL " + url + " should name the Keycloak service");
                problems.check(url.getPort() == 8080, workload + ": REGENT_OIDC_URL " + url
                        + " should use Keycloak's port inside the network (8080), not the published one");
                problems.check(url.getPath().equals("/realms/" + realm().path("realm").asText()), workload
                        + ": REGENT_OIDC_URL " + url + " should end with /realms/" + realm().path("realm").asText());
            });
            if (env.containsKey("REGENT_KAFKA_BOOTSTRAP")) {
                for (String address : env.get("REGENT_KAFKA_BOOTSTRAP").split(",")) {
                    String host = address.substring(0, Math.max(0, address.lastIndexOf(':')));
                    JsonNode kafka = services.get(host);
                    String advertised = kafka == null ? ""
                            : composeEnvironment(kafka).getOrDefault("KAFKA_ADVERTISED_LISTENERS", "");
                    problems.check(kafka != null && advertised.contains("//" + address.trim()), workload
                            + ": REGENT_KAFKA_BOOTSTRAP " + address + " is not an advertised listener of a Kafka service");
                }
            }
            if (env.containsKey("REGENT_REGISTRY_DB_URL")) {
                URI url = URI.create(env.get("REGENT_REGISTRY_DB_URL").replaceFirst("^jdbc:", ""));
                JsonNode db = services.get(url.getHost());
                Map<String, String> dbEnv = db == null ? Map.of() : composeEnvironment(db);
                problems.check(db != null && db.path("image").asText().matches("(regent/)?postgres:.*"), workload
                        + ": REGENT_REGISTRY_DB_URL " + url + " should name the PostgreSQL service of the registry");
                problems.check(url.getPath().equals("/" + dbEnv.get("POSTGRES_DB")), workload + ": REGENT_REGISTRY_DB_URL "
                        + url + " names another database than POSTGRES_DB " + dbEnv.get("POSTGRES_DB"));
                problems.check(Objects.equals(env.get("REGENT_REGISTRY_DB_USER"), dbEnv.get("POSTGRES_USER")), workload
                        + ": REGENT_REGISTRY_DB_USER differs from the database's POSTGRES_USER " + dbEnv.get("POSTGRES_USER"));
                problems.check(sameVariable(env.get("REGENT_REGISTRY_DB_PASSWORD"), dbEnv.get("POSTGRES_PASSWORD")), workload
                        + ": REGENT_REGISTRY_DB_PASSWORD and the database's POSTGRES_PASSWORD must be the same ${...} variable");
            }
        }
        problems.assertNone("addresses in docker-compose.yml");
    }

    @Test
    void composeAndEnvExampleAgreeAndHoldNoSecret() {
        Problems problems = new Problems();
        problems.addAll(composeSecretProblems(compose()));

        Set<String> used = new TreeSet<>();
        Matcher variable = COMPOSE_VARIABLE.matcher(read(ROOT.resolve("docker-compose.yml")));
        while (variable.find()) {
            used.add(variable.group(1));
        }
        Path example = ROOT.resolve(".env.example");
        Map<String, String> listed = envFile(example);
        for (String name : used) {
            problems.check(listed.containsKey(name), "docker-compose.yml uses ${" + name + "}, which .env.example does "
                    + "not list: add it with a comment on how to generate it");
        }
        problems.check("regent".equals(listed.get("COMPOSE_PROJECT_NAME")), ".env.example should set "
                + "COMPOSE_PROJECT_NAME=regent: the project's name, which docker-compose 1.29 refuses as name:");
        listed.forEach((name, value) -> {
            if (name.startsWith("COMPOSE_")) {
                return; // docker compose's own settings, no secrets: read by compose itself, never by the file
            }
            problems.check(used.contains(name), ".env.example lists " + name + ", which docker-compose.yml never uses");
            problems.check(value.isEmpty(), ".env.example gives " + name + " a value: leave it empty (a placeholder "
                    + "docker compose refuses), or it ends up in use");
        });
        problems.check(gitignored(ROOT, ".env"), ".gitignore must list .env (the real secrets of docker compose)");
        problems.assertNone("docker-compose.yml variables and .env.example");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.regent.devstack.deploy.Manifests#topics")
    void composeCreatesTheTopicsOfTopics(TopicSpec topic) {
        Problems problems = new Problems();
        Map<String, JsonNode> services = composeServices(compose());
        Map<String, CreatedTopic> created = new LinkedHashMap<>();
        for (JsonNode service : services.values()) {
            for (String line : text(service.path("command")).split("\n")) {
                Matcher name = Pattern.compile("--topic\\s+(\\S+)").matcher(line);
                if (name.find()) {
                    Matcher partitions = Pattern.compile("--partitions\\s+(\\d+)").matcher(line);
                    Map<String, String> configs = new TreeMap<>();
                    Matcher config = Pattern.compile("--config\\s+([^=\\s]+)=(\\S+)").matcher(line);
                    while (config.find()) {
                        configs.put(config.group(1), config.group(2));
                    }
                    created.put(name.group(1), new CreatedTopic(partitions.find() ? Integer.parseInt(partitions.group(1)) : -1,
                            configs));
                }
            }
        }
        CreatedTopic mine = created.get(topic.name());
        if (mine == null) {
            problems.add("docker-compose.yml creates no topic " + topic.name() + " (kafka-topics.sh --create --topic "
                    + topic.name() + " in its kafka-init service); it creates " + created.keySet());
        } else {
            problems.check(mine.partitions() == topic.partitions(), "docker-compose.yml creates " + topic.name() + " with "
                    + mine.partitions() + " partitions; Topics says " + topic.partitions());
            problems.check(mine.configs().equals(new TreeMap<>(topic.configs())), "docker-compose.yml creates "
                    + topic.name() + " with --config " + mine.configs() + "; Topics says " + new TreeMap<>(topic.configs()));
        }
        problems.check(created.keySet().stream().allMatch(n -> Topics.ALL.stream().anyMatch(t -> t.name().equals(n))),
                "docker-compose.yml creates topics Topics does not know: " + created.keySet());
        services.values().stream().filter(s -> composeEnvironment(s).containsKey("KAFKA_PROCESS_ROLES")).forEach(kafka ->
                problems.check("false".equals(composeEnvironment(kafka).get("KAFKA_AUTO_CREATE_TOPICS_ENABLE")),
                        "docker-compose.yml: the broker should set KAFKA_AUTO_CREATE_TOPICS_ENABLE=false, or a topic "
                                + "used before kafka-init ran gets one partition"));
        problems.assertNone("topic " + topic.name() + " in docker-compose.yml");
    }

    @Test
    void composeDemoClusterIsReplicatedAndHasTheControlRole() throws IOException {
        Problems problems = new Problems();
        Map<String, JsonNode> services = composeServices(compose());
        JsonNode cluster = JSON.readTree(ROOT.resolve("deploy/compose/demo-cluster.json").toFile());
        List<JsonNode> leaders = new ArrayList<>();
        for (JsonNode node : cluster.path("nodes")) {
            String name = node.path("name").asText();
            JsonNode service = services.get(node.path("host").asText());
            if (service == null) {
                problems.add("deploy/compose/demo-cluster.json: node " + name + "'s host " + node.path("host").asText()
                        + " is not a docker-compose.yml service");
                continue;
            }
            problems.check(node.path("port").asInt() == 5432, "deploy/compose/demo-cluster.json: node " + name
                    + " should use PostgreSQL's port 5432 inside the network");
            // a node container: regent/node, whose agent supervises exactly this node (it sets cluster_name to the
            // node's name, the WAL receiver's application_name by which the leader names it)
            String host = node.path("host").asText();
            Map<String, String> nodeEnv = composeEnvironment(service);
            problems.check(service.path("image").asText().startsWith("regent/node:"), "docker-compose.yml service "
                    + host + " should run regent/node (PostgreSQL and its node agent)");
            problems.check(name.equals(nodeEnv.get("REGENT_MONITOR_NODE_NAME")), "docker-compose.yml service " + host
                    + ": REGENT_MONITOR_NODE_NAME should be " + name + ", the node its agent supervises");
            problems.check(cluster.path("id").asText().equals(nodeEnv.get("REGENT_MONITOR_NODE_CLUSTER_ID")),
                    "docker-compose.yml service " + host + ": REGENT_MONITOR_NODE_CLUSTER_ID should be "
                            + cluster.path("id").asText());
            problems.check(host.equals(service.path("hostname").asText()), "docker-compose.yml service " + host
                    + ": hostname: " + host + " (the agent advertises http://<hostname>:8080 for node actions)");
            problems.check(service.path("init").asBoolean(false), "docker-compose.yml service " + host
                    + ": init: true (a PID 1 that reaps the server's processes)");
            boolean initdb = "true".equals(nodeEnv.get("REGENT_NODE_INITDB"));
            if ("LEADER".equals(node.path("role").asText())) {
                leaders.add(node);
                problems.check(initdb, "docker-compose.yml service " + host + ": the first leader initialises the "
                        + "cluster (REGENT_NODE_INITDB: \"true\")");
            } else {
                problems.check(!initdb, "docker-compose.yml service " + host + ": only the first leader may initialise "
                        + "a cluster; a follower is built from a base backup of the leader");
            }
        }
        problems.check(leaders.size() == 1, "deploy/compose/demo-cluster.json needs exactly one node with role LEADER");
        if (leaders.size() == 1) {
            String leaderHost = leaders.get(0).path("host").asText();
            JsonNode leader = services.get(leaderHost);
            Optional<Path> init = Optional.empty();
            for (JsonNode volume : leader == null ? JSON.createArrayNode() : leader.path("volumes")) {
                String[] parts = volume.asText().split(":");
                if (parts.length >= 2 && parts[1].startsWith("/docker-entrypoint-initdb.d/")) {
                    init = Optional.of(ROOT.resolve(parts[0]).normalize());
                }
            }
            if (init.isEmpty() || !Files.isRegularFile(init.get())) {
                problems.add("docker-compose.yml service " + leaderHost + " should mount deploy/compose/demo-leader-init.sh "
                        + "into /docker-entrypoint-initdb.d/ (roles replicator and regent)");
            } else {
                String sql = read(init.get());
                List<String> grants = sql.lines().filter(l -> l.trim().startsWith("GRANT")).toList();
                for (String privilege : CONTROL_ROLE_GRANTS) {
                    problems.check(grants.stream().anyMatch(g -> g.contains(privilege) && g.contains("TO regent")),
                            ROOT.relativize(init.get()) + " does not grant " + privilege + " to regent (DESIGN.md)");
                }
                problems.check(Pattern.compile("CREATE ROLE regent\\b[^;]*NOSUPERUSER").matcher(sql).find(),
                        ROOT.relativize(init.get()) + " should create the regent role NOSUPERUSER");
                problems.check(Pattern.compile("CREATE ROLE replicator\\b[^;]*REPLICATION").matcher(sql).find(),
                        ROOT.relativize(init.get()) + " should create the replicator role WITH REPLICATION");
                problems.check(sql.contains("host replication replicator"), ROOT.relativize(init.get())
                        + " should allow replication connections in pg_hba.conf");
            }
            Map<String, String> leaderEnv = leader == null ? Map.of() : composeEnvironment(leader);
            for (Workload workload : composeWorkloads(compose())) {
                if (!workload.env().containsKey("REGENT_NODE_PASSWORD")) {
                    continue;
                }
                Map<String, String> env = composeEnvironment(workload.node());
                problems.check(sameVariable(env.get("REGENT_NODE_PASSWORD"), leaderEnv.get("REGENT_NODE_PASSWORD")),
                        workload + ": REGENT_NODE_PASSWORD must be the ${...} variable " + leaderHost
                                + "'s init script creates the role with");
                String user = env.getOrDefault("REGENT_NODE_USER", CONFIGS.get(workload.module()).defaultOf("REGENT_NODE_USER"));
                problems.check("regent".equals(user), workload + ": REGENT_NODE_USER " + user
                        + " is not the role the demo nodes have (regent)");
            }
            for (Map.Entry<String, JsonNode> service : services.entrySet()) {
                Map<String, String> env = composeEnvironment(service.getValue());
                if (env.containsKey("DEMO_LEADER_HOST")) {
                    problems.check(env.get("DEMO_LEADER_HOST").equals(leaderHost), "docker-compose.yml service "
                            + service.getKey() + " clones " + env.get("DEMO_LEADER_HOST") + ", not the leader " + leaderHost);
                    problems.check(sameVariable(env.get("REGENT_REPLICATION_PASSWORD"),
                                    leaderEnv.get("REGENT_REPLICATION_PASSWORD")),
                            "docker-compose.yml service " + service.getKey() + ": REGENT_REPLICATION_PASSWORD must be the "
                                    + "variable the leader creates the replicator role with");
                }
            }
        }
        // the quorum counts distinct agent ids
        List<String> agentIds = composeWorkloads(compose()).stream().filter(w -> w.module().equals("monitor-service"))
                .map(w -> composeEnvironment(w.node()).getOrDefault("REGENT_AGENT_ID", w.name())).toList();
        problems.check(agentIds.size() >= 3, "docker-compose.yml should run three monitor agents (quorum 2 survives "
                + "losing one); it runs " + agentIds);
        problems.check(new LinkedHashSet<>(agentIds).size() == agentIds.size(), "docker-compose.yml: monitor agents "
                + "share an id " + agentIds + " - the observer quorum counts distinct ids");
        problems.assertNone("the demo cluster in docker-compose.yml");
    }
}
