package io.regent.devstack.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import io.regent.events.TopicSpec;
import io.regent.events.Topics;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Checks the deployment files - {@code docker-compose.yml} (+ {@code .env.example},
 * {@code deploy/compose/}), {@code k8s/} and the services' {@code Dockerfile.jvm} - against what the
 * services actually read: the {@code ${REGENT_*}} references of each service's
 * {@code application.properties}, Quarkus' HTTP port and health endpoints, the clients and
 * placeholders of {@code keycloak/regent-realm.json}, and the topics of {@link Topics}.
 *
 * <p>Every check collects all its problems and fails with one line per problem saying where it is and
 * what to change. Nothing here runs a container: the files are read as data.
 */
class DeploymentManifestsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = repositoryRoot();

    /** The modules that are deployed as services (each with a Dockerfile and application.properties). */
    private static final List<String> SERVICES =
            List.of("registry-service", "monitor-service", "failover-service", "api-gateway");

    private static final int HTTP_PORT = 8080; // Quarkus' default; no service overrides quarkus.http.port
    private static final String READY = "/q/health/ready";
    private static final String LIVE = "/q/health/live";
    private static final String STARTED = "/q/health/started";
    private static final String DOCKERFILE = "src/main/docker/Dockerfile.jvm";
    private static final String REALM_FILE = "keycloak/regent-realm.json";
    private static final String REALM_IMPORT_PATH = "/opt/keycloak/data/import/regent-realm.json";

    /**
     * Variables a service needs in any container deployment although application.properties gives them
     * a default (an empty one, or one that only makes sense in tests). Variables without a default, and
     * those whose default points at the container itself (127.0.0.1, localhost), are needed as well.
     */
    private static final Map<String, Map<String, String>> NEEDED = Map.of(
            "registry-service", Map.of(
                    "REGENT_REGISTRY_DB_PASSWORD", "the registry's database password (its default is empty)",
                    "REGENT_REGISTRY_CREDENTIALS_KEY",
                    "without the AES key the registry refuses to store node credentials (503)"),
            "monitor-service", serviceIdentity("the agents probe the nodes as the regent role"),
            "failover-service", serviceIdentity("the failover-service promotes and fences as the regent role"),
            "api-gateway", Map.of(
                    "REGENT_SESSION_SECRET",
                    "without it every gateway instance encrypts dashboard sessions with its own random key, "
                            + "so sessions end on restart and across instances"));

    /** Variables no deployment may set. */
    private static final Map<String, String> FORBIDDEN = Map.of(
            "REGENT_SERVICE_TOKEN",
            "a static token for development and self-contained tests; deployments authenticate each service "
                    + "with its Keycloak client (REGENT_OIDC_CLIENT_ENABLED/_ID/_SECRET)");

    /** What the regent role on the database nodes is granted (DESIGN.md, least privilege). */
    private static final List<String> CONTROL_ROLE_GRANTS = List.of("pg_monitor", "pg_signal_backend",
            "pg_checkpoint", "pg_promote(boolean, integer)", "pg_reload_conf()",
            "pg_logical_emit_message(boolean, text, text)", "primary_conninfo", "synchronous_standby_names",
            "default_transaction_read_only");

    /** Deployments that promise a PodDisruptionBudget (all of them). */
    private static final List<String> PDB_PROMISED = SERVICES;

    private static final Pattern ENV_REFERENCE =
            Pattern.compile("\\$\\{(REGENT_[A-Z0-9_]+)(:([^}]*))?}");
    private static final Pattern COMPOSE_VARIABLE = Pattern.compile("(?<!\\$)\\$\\{([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern WHOLE_REFERENCE =
            Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])[^}]*)?}");
    private static final Pattern REALM_PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+)}");

    private static final Map<String, ServiceConfig> CONFIGS = SERVICES.stream()
            .collect(Collectors.toMap(m -> m, ServiceConfig::load, (a, b) -> a, LinkedHashMap::new));

    // ---------------------------------------------------------------------------------------------
    // every Regent service, wherever it is deployed
    // ---------------------------------------------------------------------------------------------

    static Stream<Workload> regentWorkloads() {
        return Stream.concat(composeWorkloads(compose()).stream(), k8sWorkloads().stream());
    }

    static Stream<Named<String>> services() {
        return SERVICES.stream().map(module -> Named.of(module, module));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("regentWorkloads")
    void environmentIsWhatTheServiceReads(Workload workload) {
        Problems problems = new Problems();
        problems.addAll(environmentProblems(workload));

        ServiceConfig config = CONFIGS.get(workload.module());
        boolean clientEnabled = workload.env().containsKey("REGENT_OIDC_CLIENT_ENABLED");
        if (clientEnabled) {
            problems.check("true".equals(literal(workload.env().get("REGENT_OIDC_CLIENT_ENABLED"))),
                    workload + ": REGENT_OIDC_CLIENT_ENABLED must be \"true\" - the service has no identity "
                            + "towards the registry otherwise");
        }
        if (clientEnabled || workload.env().containsKey("REGENT_OIDC_CLIENT_ID")) {
            String clientId = workload.env().containsKey("REGENT_OIDC_CLIENT_ID")
                    ? literal(workload.env().get("REGENT_OIDC_CLIENT_ID"))
                    : config.defaultOf("REGENT_OIDC_CLIENT_ID");
            JsonNode client = realmClient(clientId);
            if (client == null) {
                problems.add(workload + ": REGENT_OIDC_CLIENT_ID " + clientId + " is not a client of " + REALM_FILE
                        + " (clients: " + realmClientIds() + ")");
            } else {
                problems.check(client.path("serviceAccountsEnabled").asBoolean()
                                && !client.path("publicClient").asBoolean(),
                        workload + ": client " + clientId + " of " + REALM_FILE + " must be confidential with "
                                + "serviceAccountsEnabled: true for the client-credentials grant");
            }
        }
        problems.assertNone(workload + ": environment");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("regentWorkloads")
    void portsAndHealthChecksAreQuarkus(Workload workload) {
        Problems problems = new Problems();
        problems.addAll(moduleProblems(workload.module()));
        if (workload.container() == null) { // docker compose
            JsonNode check = workload.node().path("healthcheck");
            String test = text(check.path("test"));
            problems.check(!check.isMissingNode() && !check.path("disable").asBoolean(false),
                    workload + " has no healthcheck: add test: [CMD, curl, -fsS, http://localhost:" + HTTP_PORT
                            + READY + "] so that depends_on: service_healthy can wait for it");
            problems.check(test.matches("(?s).*(localhost|127\\.0\\.0\\.1):" + HTTP_PORT + Pattern.quote(READY) + ".*"),
                    workload + ": its healthcheck `" + test + "` should ask Quarkus' readiness endpoint http://localhost:"
                            + HTTP_PORT + READY);
            for (PortMapping port : composePorts(workload.node())) {
                problems.check(port.container() == HTTP_PORT, workload + " publishes container port "
                        + port.container() + ", but the service listens on " + HTTP_PORT);
            }
        } else {
            JsonNode container = workload.container();
            Map<String, Integer> named = new TreeMap<>();
            Set<Integer> ports = new TreeSet<>();
            for (JsonNode port : container.path("ports")) {
                ports.add(port.path("containerPort").asInt());
                if (port.hasNonNull("name")) {
                    named.put(port.path("name").asText(), port.path("containerPort").asInt());
                }
            }
            problems.check(ports.contains(HTTP_PORT), workload + ": container " + container.path("name").asText()
                    + " declares ports " + ports + "; the service listens on " + HTTP_PORT);
            problems.addAll(probeProblems(workload, container, "readinessProbe", Set.of(READY), named, true));
            problems.addAll(probeProblems(workload, container, "livenessProbe", Set.of(LIVE), named, true));
            problems.addAll(probeProblems(workload, container, "startupProbe", Set.of(LIVE, READY, STARTED), named,
                    false));
        }
        problems.assertNone(workload + ": ports and health checks");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void dockerfileIsTheFastJarLayout(String module) {
        Problems problems = new Problems();
        Path dockerfile = ROOT.resolve(module).resolve(DOCKERFILE);
        if (!Files.isRegularFile(dockerfile)) {
            problems.add(module + " has no " + DOCKERFILE);
            problems.assertNone(module + "'s Dockerfile");
        }
        String text = read(dockerfile);
        String where = module + "/" + DOCKERFILE;
        Matcher from = Pattern.compile("(?m)^FROM\\s+registry\\.access\\.redhat\\.com/ubi9/openjdk-17-runtime:(\\S+)")
                .matcher(text);
        problems.check(from.find() && !from.group(1).equals("latest"), where
                + ": base it on registry.access.redhat.com/ubi9/openjdk-17-runtime with a pinned tag (e.g. 1.23)");
        for (String layer : List.of("target/quarkus-app/lib/", "target/quarkus-app/*.jar", "target/quarkus-app/app/",
                "target/quarkus-app/quarkus/")) {
            problems.check(Pattern.compile("(?m)^COPY\\b.*" + Pattern.quote(layer)).matcher(text).find(),
                    where + ": no COPY of " + layer + " (the fast-jar layout has lib/, *.jar, app/, quarkus/)");
        }
        problems.check(Pattern.compile("(?m)^EXPOSE\\s+" + HTTP_PORT + "\\b").matcher(text).find(),
                where + ": EXPOSE " + HTTP_PORT + " (Quarkus' HTTP port)");
        problems.check(Pattern.compile("(?m)^USER\\s+185\\b").matcher(text).find(), where + ": USER 185 (not root)");
        problems.check(Pattern.compile("JAVA_APP_JAR=\"?/deployments/quarkus-run\\.jar").matcher(text).find(),
                where + ": ENV JAVA_APP_JAR=/deployments/quarkus-run.jar");
        problems.check(text.contains("-Dquarkus.http.host=0.0.0.0"),
                where + ": JAVA_OPTS_APPEND needs -Dquarkus.http.host=0.0.0.0, or nothing outside the container reaches it");
        problems.check(read(ROOT.resolve(module).resolve("pom.xml")).contains("<artifactId>quarkus-maven-plugin</artifactId>"),
                module + "/pom.xml: the quarkus-maven-plugin builds target/quarkus-app");
        String jarType = CONFIGS.get(module).properties().getProperty("quarkus.package.jar.type", "fast-jar");
        problems.check(jarType.equals("fast-jar"), module + ": quarkus.package.jar.type=" + jarType
                + ", but the Dockerfile copies the fast-jar layout");
        problems.assertNone(where);
    }

    @Test
    void everyServiceIsDeployedByComposeAndKubernetes() {
        Problems problems = new Problems();
        Map<String, JsonNode> services = composeServices(compose());
        List<Workload> compose = composeWorkloads(compose());
        List<Workload> k8s = k8sWorkloads();
        for (String module : SERVICES) {
            problems.check(compose.stream().anyMatch(w -> w.module().equals(module)),
                    "docker-compose.yml runs no " + module + " (build: {context: ./" + module + "})");
            problems.check(k8s.stream().anyMatch(w -> w.module().equals(module)),
                    "k8s/base deploys no " + module + " (a Deployment with image regent/" + module + ")");
        }
        for (Map.Entry<String, JsonNode> service : services.entrySet()) {
            JsonNode build = service.getValue().path("build");
            if (build.isMissingNode()) {
                continue;
            }
            String context = build.isTextual() ? build.asText() : build.path("context").asText(".");
            String dockerfile = build.path("dockerfile").asText("Dockerfile");
            Path file = ROOT.resolve(context).resolve(dockerfile).normalize();
            problems.check(Files.isRegularFile(file), "docker-compose.yml service " + service.getKey() + " builds "
                    + ROOT.relativize(file) + ", which does not exist");
            problems.check(composeModule(service.getValue()).isPresent(), "docker-compose.yml service "
                    + service.getKey() + " builds " + context + ", which is none of " + SERVICES);
            problems.check(dockerfile.equals(DOCKERFILE), "docker-compose.yml service " + service.getKey()
                    + " should build " + DOCKERFILE + ", not " + dockerfile);
        }
        for (Manifest manifest : k8sBase()) {
            if (manifest.kind().equals("Deployment")) {
                for (JsonNode container : manifest.doc().path("spec").path("template").path("spec").path("containers")) {
                    String image = container.path("image").asText();
                    problems.check(!image.startsWith("regent/") || imageModule(image).isPresent(), manifest
                            + " runs image " + image + ", which is none of regent/" + SERVICES);
                }
            }
        }
        problems.assertNone("services deployed");
    }

    @Test
    void neededVariablesAreReadByTheirServices() {
        Problems problems = new Problems();
        NEEDED.forEach((module, variables) -> variables.keySet().forEach(variable -> problems.check(
                CONFIGS.get(module).refs().containsKey(variable), "this test's NEEDED table lists " + variable
                        + " for " + module + ", whose application.properties no longer reads it: update the table")));
        problems.assertNone("the NEEDED table");
    }

    /** The checker itself: a misspelt variable must be reported, with the name it probably meant. */
    @Test
    void environmentCheckCatchesAMisspeltVariable() {
        JsonNode snippet = yaml("""
                services:
                  registry:
                    build: { context: ./registry-service, dockerfile: src/main/docker/Dockerfile.jvm }
                    environment:
                      REGENT_REGISTRY_DB_URL: jdbc:postgresql://registry-db:5432/regent
                      REGENT_REGISTRY_DB_PASWORD: ${REGENT_REGISTRY_DB_PASSWORD:?}
                """);
        List<Workload> workloads = composeWorkloads(snippet);
        assertThat(workloads).hasSize(1);
        List<String> problems = environmentProblems(workloads.get(0));
        assertThat(problems).anySatisfy(p -> assertThat(p)
                .contains("sets REGENT_REGISTRY_DB_PASWORD")
                .contains("did you mean REGENT_REGISTRY_DB_PASSWORD"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("does not set REGENT_REGISTRY_DB_PASSWORD"));
        assertThat(problems).anySatisfy(p -> assertThat(p).contains("does not set REGENT_REGISTRY_CREDENTIALS_KEY"));

        // and a literal secret is caught too
        JsonNode literal = yaml("""
                services:
                  db:
                    image: postgres:16
                    environment: { POSTGRES_PASSWORD: hunter2 }
                """);
        assertThat(composeSecretProblems(literal)).singleElement().asString().contains("POSTGRES_PASSWORD");
    }

    // ---------------------------------------------------------------------------------------------
    // docker-compose.yml
    // ---------------------------------------------------------------------------------------------

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
                .map(DeploymentManifestsTest::composeEnvironment).orElse(Map.of());
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
    void composePublishesOnlyTheGatewayAndKeycloak() {
        Problems problems = new Problems();
        Map<String, JsonNode> services = composeServices(compose());
        for (Map.Entry<String, JsonNode> service : services.entrySet()) {
            JsonNode node = service.getValue();
            boolean gateway = composeModule(node).filter(m -> m.equals("api-gateway")).isPresent();
            boolean keycloak = node.path("image").asText().contains("keycloak");
            List<PortMapping> ports = composePorts(node);
            if (!gateway && !keycloak) {
                problems.check(ports.isEmpty(), "docker-compose.yml service " + service.getKey() + " publishes " + ports
                        + ": only the gateway and Keycloak are reachable from the host");
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
                problems.check(db != null && db.path("image").asText().startsWith("postgres"), workload
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
        listed.forEach((name, value) -> {
            problems.check(used.contains(name), ".env.example lists " + name + ", which docker-compose.yml never uses");
            problems.check(value.isEmpty(), ".env.example gives " + name + " a value: leave it empty (a placeholder "
                    + "docker compose refuses), or it ends up in use");
        });
        problems.check(gitignored(ROOT, ".env"), ".gitignore must list .env (the real secrets of docker compose)");
        problems.assertNone("docker-compose.yml variables and .env.example");
    }

    static Stream<Named<TopicSpec>> topics() {
        return Topics.ALL.stream().map(topic -> Named.of(topic.name(), topic));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("topics")
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
            problems.check(text(service.path("command")).contains("cluster_name=" + name), "docker-compose.yml service "
                    + node.path("host").asText() + " should run postgres -c cluster_name=" + name
                    + " (its WAL receiver's application_name is how the leader names it)");
            if ("LEADER".equals(node.path("role").asText())) {
                leaders.add(node);
            } else {
                problems.check(text(service.path("entrypoint")).contains("demo-follower.sh"), "docker-compose.yml service "
                        + node.path("host").asText() + " should clone the leader with deploy/compose/demo-follower.sh");
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

    // ---------------------------------------------------------------------------------------------
    // k8s/
    // ---------------------------------------------------------------------------------------------

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
    @MethodSource("k8sWorkloadStream")
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
            List<Integer> patched = overlayPatches().stream().filter(p -> p.kind().equals("Deployment")
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
                    if (!listener.path("tls").asBoolean(false) && listener.path("type").asText().equals("internal")) {
                        bootstraps.add(name + "-kafka-bootstrap:" + listener.path("port").asInt());
                    }
                }
                String configured = overlayPatches(overlay).stream().filter(p -> p.kind().equals("ConfigMap"))
                        .map(p -> p.doc().path("data").path("REGENT_KAFKA_BOOTSTRAP").asText(null))
                        .filter(Objects::nonNull).findFirst().orElse(null);
                problems.check(configured != null && bootstraps.contains(configured), ROOT.relativize(overlay)
                        + " should patch REGENT_KAFKA_BOOTSTRAP to the Strimzi bootstrap Service " + bootstraps
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
    @MethodSource("topics")
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

    // ---------------------------------------------------------------------------------------------
    // the checks
    // ---------------------------------------------------------------------------------------------

    /** The environment of one deployed service against its application.properties. */
    static List<String> environmentProblems(Workload workload) {
        ServiceConfig config = CONFIGS.get(workload.module());
        Set<String> names = workload.env().keySet();
        List<String> problems = new ArrayList<>();
        for (String name : new TreeSet<>(names)) {
            if (FORBIDDEN.containsKey(name)) {
                problems.add(workload + " sets " + name + ": " + FORBIDDEN.get(name));
            } else if (name.startsWith("REGENT_") && !config.refs().containsKey(name)) {
                problems.add(workload + " sets " + name + ", which " + config.file() + " never reads"
                        + config.suggestion(name) + " (it reads " + config.refs().keySet() + ")");
            }
        }
        config.needed().forEach((name, reason) -> {
            if (!names.contains(name)) {
                problems.add(workload + " does not set " + name + ": " + reason);
            }
        });
        return problems;
    }

    /** What a service module must offer any deployment: the health endpoints on Quarkus' HTTP port. */
    static List<String> moduleProblems(String module) {
        List<String> problems = new ArrayList<>();
        if (!read(ROOT.resolve(module).resolve("pom.xml")).contains("<artifactId>quarkus-smallrye-health</artifactId>")) {
            problems.add(module + "/pom.xml lacks quarkus-smallrye-health: " + READY + " and " + LIVE + " would not exist");
        }
        String port = CONFIGS.get(module).properties().getProperty("quarkus.http.port");
        if (port != null && !port.equals(Integer.toString(HTTP_PORT)) && !port.endsWith(":" + HTTP_PORT + "}")) {
            problems.add(module + " sets quarkus.http.port=" + port + ", but the deployments expect " + HTTP_PORT);
        }
        return problems;
    }

    static List<String> probeProblems(Workload workload, JsonNode container, String probe, Set<String> paths,
            Map<String, Integer> namedPorts, boolean required) {
        List<String> problems = new ArrayList<>();
        JsonNode get = container.path(probe).path("httpGet");
        if (!container.has(probe)) {
            if (required) {
                problems.add(workload + " has no " + probe + " (httpGet " + paths.iterator().next() + " on " + HTTP_PORT + ")");
            }
            return problems;
        }
        if (!paths.contains(get.path("path").asText())) {
            problems.add(workload + ": " + probe + " asks " + get.path("path").asText() + "; use " + paths);
        }
        JsonNode port = get.path("port");
        int number = port.isInt() ? port.asInt() : namedPorts.getOrDefault(port.asText(), -1);
        if (number != HTTP_PORT) {
            problems.add(workload + ": " + probe + " uses port " + port.asText() + ", which is not " + HTTP_PORT);
        }
        return problems;
    }

    static List<String> composeSecretProblems(JsonNode compose) {
        List<String> problems = new ArrayList<>();
        composeServices(compose).forEach((service, node) -> composeEnvironment(node).forEach((name, value) -> {
            if (secretName(name)) {
                Matcher whole = WHOLE_REFERENCE.matcher(value.trim());
                if (!whole.matches()) {
                    problems.add("docker-compose.yml service " + service + " gives " + name + " a literal value: use a "
                            + "${VARIABLE:?...} reference and list the variable in .env.example");
                } else if ("-".equals(whole.group(2)) || ":-".equals(whole.group(2))) {
                    problems.add("docker-compose.yml service " + service + " gives " + name + " a fallback value in "
                            + value + ": use ${VARIABLE:?...} so that a missing secret stops the start");
                }
            }
        }));
        return problems;
    }

    // ---------------------------------------------------------------------------------------------
    // models
    // ---------------------------------------------------------------------------------------------

    /** A Regent service as a deployment runs it. {@code container} is null for docker compose. */
    record Workload(String where, String name, String module, Map<String, JsonNode> env, JsonNode node,
            JsonNode container) {
        @Override
        public String toString() {
            return where + " " + name + " (" + module + ")";
        }
    }

    record EnvRef(String name, String property, String defaultValue) {
        boolean hasDefault() {
            return defaultValue != null;
        }
    }

    /** The {@code ${REGENT_*}} references of a service's application.properties (profile-less keys only). */
    record ServiceConfig(String module, String file, Map<String, EnvRef> refs, Properties properties) {

        static ServiceConfig load(String module) {
            String file = module + "/src/main/resources/application.properties";
            Properties properties = new Properties();
            try {
                properties.load(new StringReader(read(ROOT.resolve(file))));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Map<String, EnvRef> refs = new TreeMap<>();
            for (String key : new TreeSet<>(properties.stringPropertyNames())) {
                if (key.startsWith("%")) {
                    continue; // %test. and %dev. settings never reach a deployment
                }
                Matcher m = ENV_REFERENCE.matcher(properties.getProperty(key));
                while (m.find()) {
                    refs.putIfAbsent(m.group(1), new EnvRef(m.group(1), key, m.group(2) == null ? null : m.group(3)));
                }
            }
            return new ServiceConfig(module, file, refs, properties);
        }

        String defaultOf(String name) {
            EnvRef ref = refs.get(name);
            return ref == null ? null : ref.defaultValue();
        }

        /** Variables this service needs in a container, with the reason. */
        Map<String, String> needed() {
            Map<String, String> needed = new TreeMap<>();
            refs.values().forEach(ref -> {
                if (!ref.hasDefault()) {
                    needed.put(ref.name(), file + " reads ${" + ref.name() + "} (" + ref.property() + ") without a default");
                } else if (ref.defaultValue().contains("127.0.0.1") || ref.defaultValue().contains("localhost")) {
                    needed.put(ref.name(), "its default " + ref.defaultValue() + " (" + ref.property()
                            + ") points at the container itself");
                }
            });
            NEEDED.getOrDefault(module, Map.of()).forEach(needed::putIfAbsent);
            return needed;
        }

        String suggestion(String name) {
            return refs.keySet().stream().filter(known -> distance(known, name) <= 2).findFirst()
                    .map(known -> " - did you mean " + known + "?").orElse("");
        }
    }

    record Manifest(Path file, JsonNode doc) {
        String kind() {
            return doc.path("kind").asText();
        }

        String name() {
            return doc.path("metadata").path("name").asText();
        }

        @Override
        public String toString() {
            return ROOT.relativize(file) + ": " + kind() + " " + name();
        }
    }

    record PortMapping(String host, int container) {
        @Override
        public String toString() {
            return (host.isEmpty() ? "" : host + ":") + container;
        }
    }

    record CreatedTopic(int partitions, Map<String, String> configs) {
    }

    // ---------------------------------------------------------------------------------------------
    // docker compose
    // ---------------------------------------------------------------------------------------------

    static JsonNode compose() {
        return yamlFile(ROOT.resolve("docker-compose.yml"));
    }

    static Map<String, JsonNode> composeServices(JsonNode compose) {
        Map<String, JsonNode> services = new LinkedHashMap<>();
        compose.path("services").properties().forEach(e -> services.put(e.getKey(), e.getValue()));
        return services;
    }

    static List<Workload> composeWorkloads(JsonNode compose) {
        List<Workload> workloads = new ArrayList<>();
        composeServices(compose).forEach((name, service) -> composeModule(service).ifPresent(module -> {
            Map<String, JsonNode> env = new TreeMap<>();
            composeEnvironment(service).forEach((k, v) -> env.put(k, new TextNode(v)));
            workloads.add(new Workload("docker-compose.yml service", name, module, env, service, null));
        }));
        return workloads;
    }

    static Optional<String> composeModule(JsonNode service) {
        JsonNode build = service.path("build");
        if (!build.isMissingNode()) {
            String context = build.isTextual() ? build.asText() : build.path("context").asText(".");
            Path dir = Path.of(context).normalize().getFileName();
            if (dir != null && SERVICES.contains(dir.toString())) {
                return Optional.of(dir.toString());
            }
        }
        return imageModule(service.path("image").asText(""));
    }

    static Map<String, String> composeEnvironment(JsonNode service) {
        Map<String, String> env = new TreeMap<>();
        JsonNode environment = service.path("environment");
        if (environment.isObject()) {
            environment.properties().forEach(e -> env.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asText()));
        } else {
            for (JsonNode entry : environment) {
                String[] kv = entry.asText().split("=", 2);
                env.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        return env;
    }

    static List<PortMapping> composePorts(JsonNode service) {
        List<PortMapping> ports = new ArrayList<>();
        for (JsonNode port : service.path("ports")) {
            if (port.isObject()) {
                ports.add(new PortMapping(port.path("published").asText(""), port.path("target").asInt()));
            } else {
                String[] parts = port.asText().replaceFirst("/(tcp|udp)$", "").split(":");
                String container = parts[parts.length - 1];
                ports.add(new PortMapping(parts.length > 1 ? parts[parts.length - 2] : "",
                        Integer.parseInt(container.replaceFirst("-.*", ""))));
            }
        }
        return ports;
    }

    /** depends_on as target -> condition. */
    static Map<String, String> dependencies(JsonNode service) {
        Map<String, String> dependencies = new LinkedHashMap<>();
        JsonNode dependsOn = service.path("depends_on");
        if (dependsOn.isObject()) {
            dependsOn.properties().forEach(e -> dependencies.put(e.getKey(),
                    e.getValue().path("condition").asText("service_started")));
        } else {
            dependsOn.forEach(d -> dependencies.put(d.asText(), "service_started"));
        }
        return dependencies;
    }

    /** Services that are healthy or completed before {@code service} starts (through the whole chain). */
    static Set<String> readyBefore(Map<String, JsonNode> services, String service) {
        Set<String> ready = new TreeSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(service));
        while (!todo.isEmpty()) {
            JsonNode node = services.get(todo.pop());
            if (node == null) {
                continue;
            }
            dependencies(node).forEach((target, condition) -> {
                if (!condition.equals("service_started") && ready.add(target)) {
                    todo.push(target);
                }
            });
        }
        return ready;
    }

    /** The compose services a Regent service calls, from its addresses. */
    static Set<String> composeHostsCalled(Workload workload) {
        Map<String, String> env = composeEnvironment(workload.node());
        Set<String> hosts = new TreeSet<>();
        for (String name : List.of("REGENT_REGISTRY_URL", "REGENT_OIDC_URL")) {
            uri(env.get(name)).map(URI::getHost).ifPresent(hosts::add);
        }
        uri(Optional.ofNullable(env.get("REGENT_REGISTRY_DB_URL")).map(u -> u.replaceFirst("^jdbc:", "")).orElse(null))
                .map(URI::getHost).ifPresent(hosts::add);
        if (env.containsKey("REGENT_KAFKA_BOOTSTRAP")) {
            for (String address : env.get("REGENT_KAFKA_BOOTSTRAP").split(",")) {
                hosts.add(address.trim().replaceFirst(":\\d+$", ""));
            }
        }
        return hosts;
    }

    // ---------------------------------------------------------------------------------------------
    // Kubernetes
    // ---------------------------------------------------------------------------------------------

    private static List<Manifest> base;

    static synchronized List<Manifest> k8sBase() {
        if (base == null) {
            base = kustomize(ROOT.resolve("k8s/base"));
        }
        return base;
    }

    /** The resources a kustomization lists, following directories into their own kustomizations. */
    static List<Manifest> kustomize(Path dir) {
        List<Manifest> manifests = new ArrayList<>();
        for (JsonNode resource : yamlFile(dir.resolve("kustomization.yaml")).path("resources")) {
            Path path = dir.resolve(resource.asText()).normalize();
            if (Files.isDirectory(path)) {
                manifests.addAll(kustomize(path));
            } else if (Files.isRegularFile(path)) {
                yamlDocuments(read(path)).forEach(doc -> manifests.add(new Manifest(path, doc)));
            } // a missing file is kustomizationListsOnlyFilesThatExist's to report
        }
        return manifests;
    }

    static Stream<Workload> k8sWorkloadStream() {
        return k8sWorkloads().stream();
    }

    static List<Workload> k8sWorkloads() {
        List<Workload> workloads = new ArrayList<>();
        for (Manifest manifest : k8sBase()) {
            if (!manifest.kind().equals("Deployment")) {
                continue;
            }
            for (JsonNode container : manifest.doc().path("spec").path("template").path("spec").path("containers")) {
                imageModule(container.path("image").asText()).ifPresent(module -> {
                    Map<String, JsonNode> env = new TreeMap<>();
                    container.path("env").forEach(entry -> env.put(entry.path("name").asText(), entry));
                    for (JsonNode from : container.path("envFrom")) {
                        JsonNode configMap = k8sBase().stream().filter(m -> m.kind().equals("ConfigMap")
                                && m.name().equals(from.path("configMapRef").path("name").asText()))
                                .map(Manifest::doc).findFirst().orElse(JSON.createObjectNode());
                        String prefix = from.path("prefix").asText("");
                        fieldNames(configMap.path("data")).forEach(key -> env.putIfAbsent(prefix + key, from));
                    }
                    workloads.add(new Workload(ROOT.relativize(manifest.file()) + ": Deployment", manifest.name(), module,
                            env, manifest.doc(), container));
                });
            }
        }
        return workloads;
    }

    static List<Path> overlays() {
        Path dir = ROOT.resolve("k8s/overlays");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(dir)) {
            return children.filter(d -> Files.isRegularFile(d.resolve("kustomization.yaml"))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An overlay's own resources (not the base's). */
    static List<Manifest> overlayResources(Path overlay) {
        return kustomize(overlay).stream().filter(m -> m.file().startsWith(overlay)).toList();
    }

    static List<Manifest> overlayPatches() {
        return overlays().stream().flatMap(o -> overlayPatches(o).stream()).toList();
    }

    /** The strategic-merge patches an overlay applies from files. */
    static List<Manifest> overlayPatches(Path overlay) {
        JsonNode k = yamlFile(overlay.resolve("kustomization.yaml"));
        List<Path> files = new ArrayList<>();
        k.path("patches").forEach(p -> {
            if (p.has("path")) {
                files.add(overlay.resolve(p.path("path").asText()));
            }
        });
        k.path("patchesStrategicMerge").forEach(p -> files.add(overlay.resolve(p.asText())));
        List<Manifest> patches = new ArrayList<>();
        for (Path file : files) {
            if (Files.isRegularFile(file)) {
                yamlDocuments(read(file)).stream().filter(JsonNode::isObject)
                        .forEach(doc -> patches.add(new Manifest(file, doc)));
            }
        }
        return patches;
    }

    /** A Secret an overlay generates, with the keys its committed .example files list. */
    record GeneratedSecret(String overlay, String name, String example, Set<String> keys) {
    }

    static List<GeneratedSecret> generatedSecrets() {
        List<GeneratedSecret> generated = new ArrayList<>();
        for (Path overlay : overlays()) {
            for (JsonNode generator : yamlFile(overlay.resolve("kustomization.yaml")).path("secretGenerator")) {
                Set<String> keys = new TreeSet<>();
                List<String> examples = new ArrayList<>();
                for (JsonNode env : generator.path("envs")) {
                    Path example = overlay.resolve(env.asText() + ".example");
                    examples.add(ROOT.relativize(example).toString());
                    keys.addAll(envFile(example).keySet());
                }
                generated.add(new GeneratedSecret(ROOT.relativize(overlay).toString(), generator.path("name").asText(),
                        String.join(", ", examples), keys));
            }
        }
        return generated;
    }

    static Map<String, String> podLabels(Workload workload) {
        Map<String, String> labels = new TreeMap<>();
        workload.node().path("spec").path("template").path("metadata").path("labels").properties()
                .forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        return labels;
    }

    /** A label selector (matchLabels, matchExpressions, or a Service's plain map) against labels. */
    static boolean selects(JsonNode selector, Map<String, String> labels) {
        if (selector.isMissingNode() || selector.isNull()) {
            return false;
        }
        JsonNode matchLabels = selector.has("matchLabels") || selector.has("matchExpressions")
                ? selector.path("matchLabels") : selector;
        for (Map.Entry<String, JsonNode> e : matchLabels.properties()) {
            if (!e.getValue().asText().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        for (JsonNode expression : selector.path("matchExpressions")) {
            String key = expression.path("key").asText();
            Set<String> values = new TreeSet<>();
            expression.path("values").forEach(v -> values.add(v.asText()));
            boolean ok = switch (expression.path("operator").asText()) {
                case "In" -> values.contains(labels.get(key));
                case "NotIn" -> !values.contains(labels.get(key));
                case "Exists" -> labels.containsKey(key);
                case "DoesNotExist" -> !labels.containsKey(key);
                default -> false;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Whether a Service's {@code port} leads to {@link #HTTP_PORT} of the container. */
    static boolean servicePortTargets(JsonNode service, int port, JsonNode container) {
        for (JsonNode servicePort : service.path("spec").path("ports")) {
            if (servicePort.path("port").asInt() != port) {
                continue;
            }
            JsonNode target = servicePort.path("targetPort");
            if (target.isMissingNode()) {
                return port == HTTP_PORT;
            }
            if (target.isInt()) {
                return target.asInt() == HTTP_PORT;
            }
            for (JsonNode containerPort : container.path("ports")) {
                if (containerPort.path("name").asText().equals(target.asText())) {
                    return containerPort.path("containerPort").asInt() == HTTP_PORT;
                }
            }
        }
        return false;
    }

    /** Whether some NetworkPolicy admits {@code from}'s pods to {@code to}'s pods on {@code port}. */
    static boolean admits(List<Manifest> policies, Workload from, Workload to, int port) {
        for (Manifest policy : policies) {
            JsonNode spec = policy.doc().path("spec");
            if (!selects(spec.path("podSelector"), podLabels(to))) {
                continue;
            }
            for (JsonNode rule : spec.path("ingress")) {
                boolean portOk = !rule.has("ports") || rule.path("ports").isEmpty();
                for (JsonNode p : rule.path("ports")) {
                    portOk |= p.path("port").asInt() == port;
                }
                boolean peerOk = !rule.has("from") || rule.path("from").isEmpty();
                for (JsonNode peer : rule.path("from")) {
                    peerOk |= peer.has("podSelector") && !peer.has("namespaceSelector")
                            && selects(peer.path("podSelector"), podLabels(from));
                }
                if (portOk && peerOk) {
                    return true;
                }
            }
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------
    // the realm
    // ---------------------------------------------------------------------------------------------

    private static JsonNode realm;

    static synchronized JsonNode realm() {
        if (realm == null) {
            try {
                realm = JSON.readTree(ROOT.resolve(REALM_FILE).toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return realm;
    }

    static JsonNode realmClient(String clientId) {
        for (JsonNode client : realm().path("clients")) {
            if (client.path("clientId").asText().equals(clientId)) {
                return client;
            }
        }
        return null;
    }

    static List<String> realmClientIds() {
        List<String> ids = new ArrayList<>();
        realm().path("clients").forEach(c -> ids.add(c.path("clientId").asText()));
        return ids;
    }

    static Set<String> realmPlaceholders() {
        Set<String> placeholders = new TreeSet<>();
        Matcher m = REALM_PLACEHOLDER.matcher(read(ROOT.resolve(REALM_FILE)));
        while (m.find()) {
            placeholders.add(m.group(1));
        }
        return placeholders;
    }

    // ---------------------------------------------------------------------------------------------
    // small helpers
    // ---------------------------------------------------------------------------------------------

    private static Map<String, String> serviceIdentity(String nodeRole) {
        return Map.of(
                "REGENT_NODE_PASSWORD", nodeRole + " (the password's default is empty)",
                "REGENT_OIDC_CLIENT_ENABLED", "without \"true\" the service has no token for the registry",
                "REGENT_OIDC_URL", "the realm the service's client obtains its tokens from (the default is empty)",
                "REGENT_OIDC_CLIENT_SECRET", "the secret of the service's confidential Keycloak client");
    }

    static Path repositoryRoot() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("docker-compose.yml")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no directory at or above " + start
                + " holds docker-compose.yml and pom.xml: run this test inside the Regent repository");
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /**
     * YAML documents as Jackson trees. Parsed by SnakeYAML (which jackson-dataformat-yaml is built on)
     * directly: Jackson's YAML parser does not resolve anchors, aliases and merge keys ({@code <<}),
     * which docker-compose.yml uses.
     */
    static List<JsonNode> yamlDocuments(String text) {
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        List<JsonNode> documents = new ArrayList<>();
        for (Object document : yaml.loadAll(text)) {
            if (document != null) {
                documents.add(JSON.valueToTree(document));
            }
        }
        return documents;
    }

    static JsonNode yaml(String text) {
        List<JsonNode> documents = yamlDocuments(text);
        if (documents.size() != 1) {
            throw new IllegalArgumentException("expected one YAML document, found " + documents.size());
        }
        return documents.get(0);
    }

    static JsonNode yamlFile(Path file) {
        try {
            return yaml(read(file));
        } catch (RuntimeException e) {
            throw new IllegalStateException(ROOT.relativize(file) + ": " + e.getMessage(), e);
        }
    }

    /** KEY=VALUE lines of an env file (comments and blank lines skipped). */
    static Map<String, String> envFile(Path file) {
        Map<String, String> entries = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return entries;
        }
        for (String line : read(file).lines().toList()) {
            String trimmed = line.trim();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || !trimmed.contains("=")) {
                continue;
            }
            entries.put(trimmed.substring(0, trimmed.indexOf('=')).trim(), trimmed.substring(trimmed.indexOf('=') + 1).trim());
        }
        return entries;
    }

    static boolean gitignored(Path dir, String name) {
        Path ignore = dir.resolve(".gitignore");
        return Files.isRegularFile(ignore) && read(ignore).lines().map(String::trim)
                .anyMatch(l -> l.equals(name) || l.equals("/" + name));
    }

    static Optional<String> imageModule(String image) {
        if (!image.startsWith("regent/")) {
            return Optional.empty();
        }
        String name = image.substring("regent/".length()).replaceFirst("[:@].*$", "");
        return SERVICES.contains(name) ? Optional.of(name) : Optional.empty();
    }

    /** The variable a compose value refers to, when the whole value is one ${VARIABLE...} reference. */
    static Optional<String> reference(String value) {
        if (value == null) {
            return Optional.empty();
        }
        Matcher m = WHOLE_REFERENCE.matcher(value.trim());
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** Whether two compose values are references to the same variable. */
    static boolean sameVariable(String a, String b) {
        return reference(a).isPresent() && reference(a).equals(reference(b));
    }

    /** A variable holding a secret: PASSWORD, SECRET, KEY or TOKEN as one of its words. */
    static boolean secretName(String name) {
        return Stream.of(name.toUpperCase().split("_")).anyMatch(w -> Set.of("PASSWORD", "SECRET", "KEY", "TOKEN").contains(w));
    }

    /** A plain value: compose's text, or a Kubernetes env entry's literal {@code value}. */
    static String literal(JsonNode value) {
        if (value == null || value.isMissingNode() || value.isNull()) {
            return null;
        }
        if (value.isObject()) {
            return value.has("value") ? value.path("value").asText() : null;
        }
        return value.asText();
    }

    static Optional<URI> uri(String value) {
        if (value == null || value.isBlank() || reference(value).isPresent()) {
            return Optional.empty();
        }
        try {
            URI uri = URI.create(value.trim());
            return uri.getHost() == null ? Optional.empty() : Optional.of(uri);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** A node's text: arrays joined by spaces (compose's exec form), scalars as they are. */
    static String text(JsonNode node) {
        if (node.isArray()) {
            List<String> parts = new ArrayList<>();
            node.forEach(n -> parts.add(n.asText()));
            return String.join(" ", parts);
        }
        return node.isMissingNode() || node.isNull() ? "" : node.asText();
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** Problems collected by a check; the check fails with all of them at once. */
    static final class Problems {
        private final List<String> list = new ArrayList<>();

        void add(String problem) {
            list.add(problem);
        }

        void addAll(List<String> problems) {
            list.addAll(problems);
        }

        void check(boolean ok, String problem) {
            if (!ok) {
                list.add(problem);
            }
        }

        void assertNone(String what) {
            assertThat(list).withFailMessage(() -> what + ": " + list.size() + " problem(s)\n  - "
                    + String.join("\n  - ", list)).isEmpty();
        }
    }
}
