package io.regent.devstack.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import io.regent.events.KafkaAccess;
import io.regent.events.TopicSpec;
import io.regent.events.Topics;
import io.regent.events.kafka.CommandSignature;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
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
 * placeholders of {@code keycloak/regent-realm.json}, the topics of {@link Topics}, and who may do what
 * on Kafka ({@link KafkaAccess}: SASL_SSL, one principal per service, the ACLs {@code deploy/kafka/} and
 * the Strimzi {@code KafkaUser}s apply), and who may make the failover-service act ({@link CommandSignature}:
 * only the gateways hold the command signing key, the failover-services its public half, and the known
 * agents are exactly the agents the same deployment runs).
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
            "failover-service", with(serviceIdentity("the failover-service promotes and fences as the regent role"),
                    "REGENT_COMMAND_VERIFY_KEYS", "without the public half of the gateways' signing key it drops "
                            + "every switchover, failover and maintenance command (the default is empty)",
                    "REGENT_KNOWN_AGENTS", "without the agents' ids no observation counts, so no failover can happen "
                            + "(the default is empty)"),
            "api-gateway", Map.of(
                    "REGENT_SESSION_SECRET",
                    "without it every gateway instance encrypts dashboard sessions with its own random key, "
                            + "so sessions end on restart and across instances",
                    "REGENT_COMMAND_SIGNING_KEY", "without it the gateway refuses every command with 503 (the default "
                            + "is empty)",
                    "REGENT_KNOWN_AGENTS", "without it the routing checks and the dashboard take node health from any "
                            + "agent id (the default is empty)"));

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

    /** The principal each service logs in to Kafka as (io.regent.events.KafkaAccess). */
    private static final Map<String, String> KAFKA_PRINCIPALS = Map.of(
            "registry-service", KafkaAccess.REGISTRY,
            "monitor-service", KafkaAccess.MONITOR,
            "failover-service", KafkaAccess.FAILOVER,
            "api-gateway", KafkaAccess.GATEWAY);
    /** The controller listener's only user (deploy/kafka/kafka-start.sh): the second and last super user. */
    private static final String KAFKA_CONTROLLER = "regent-controller";
    private static final String STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
    private static final String KAFKA_DIR = "deploy/kafka";
    private static final String KAFKA_START = KAFKA_DIR + "/kafka-start.sh";
    private static final String SETUP_USERS = KAFKA_DIR + "/setup-users.sh";
    private static final String SETUP_ACLS = KAFKA_DIR + "/setup-acls.sh";
    /** What deploy/kafka/make-certs.sh writes: the broker's PEM key store and the CA clients trust. */
    private static final Path KAFKA_KEYSTORE = ROOT.resolve(KAFKA_DIR + "/certs/broker/keystore.pem");
    private static final Path KAFKA_CLIENT_CA = ROOT.resolve(KAFKA_DIR + "/certs/client/ca.crt");
    /** A principal's password Secret is this prefix + the principal (Strimzi's User Operator secretPrefix). */
    private static final String KAFKA_SECRET_PREFIX = "kafka-";

    /** Operator commands: the gateways sign them, the failover-service acts only on those it verifies. */
    private static final String SIGNING_KEY = "REGENT_COMMAND_SIGNING_KEY";
    private static final String VERIFY_KEYS = "REGENT_COMMAND_VERIFY_KEYS";
    /** The monitor agents whose observations the failover-service (and the gateway's routing checks) take. */
    private static final String KNOWN_AGENTS = "REGENT_KNOWN_AGENTS";
    /** The Secret and key the gateways read the signing key from on Kubernetes; nothing else may read it. */
    private static final String SIGNING_SECRET = "regent-command-signing";
    private static final String SIGNING_SECRET_KEY = "signing-key";
    /** Prints the key pair as the two .env lines. */
    private static final String MAKE_COMMAND_KEYS = "deploy/make-command-keys.sh";
    /**
     * What runs a Regent service on Kubernetes: Deployments, and a StatefulSet for the agents, whose ids (the pod
     * names) must be stable to be listed in REGENT_KNOWN_AGENTS.
     */
    private static final Set<String> WORKLOAD_KINDS = Set.of("Deployment", "StatefulSet");

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
            // a database node's container lives while its agent does: its server may rightly be down (waiting
            // for a rejoin), and the agent's readiness follows Kafka, which must not restart a database
            String endpoint = isNodeImage(workload) ? LIVE : READY;
            problems.check(test.matches("(?s).*(localhost|127\\.0\\.0\\.1):" + HTTP_PORT + Pattern.quote(endpoint) + ".*"),
                    workload + ": its healthcheck `" + test + "` should ask Quarkus' " + (endpoint.equals(LIVE)
                            ? "liveness" : "readiness") + " endpoint http://localhost:" + HTTP_PORT + endpoint);
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
        // deploy/images/build.sh passes a local base where no registry is reachable; the default is what a user pulls
        Matcher base = Pattern.compile("(?m)^ARG\\s+BASE_IMAGE=(\\S+):(\\S+)$").matcher(text);
        problems.check(base.find() && !base.group(2).equals("latest"), where
                + ": ARG BASE_IMAGE=<a public image with a pinned tag> (e.g. debian:bookworm-slim), the base a build may replace");
        problems.check(Pattern.compile("(?m)^FROM\\s+\\$\\{BASE_IMAGE}\\s*$").matcher(text).find(),
                where + ": FROM ${BASE_IMAGE}");
        for (String layer : List.of("target/quarkus-app/lib/", "target/quarkus-app/*.jar", "target/quarkus-app/app/",
                "target/quarkus-app/quarkus/")) {
            problems.check(Pattern.compile("(?m)^COPY\\b.*" + Pattern.quote(layer)).matcher(text).find(),
                    where + ": no COPY of " + layer + " (the fast-jar layout has lib/, *.jar, app/, quarkus/)");
        }
        problems.check(Pattern.compile("(?m)^EXPOSE\\s+" + HTTP_PORT + "\\b").matcher(text).find(),
                where + ": EXPOSE " + HTTP_PORT + " (Quarkus' HTTP port)");
        problems.check(Pattern.compile("(?m)^USER\\s+185\\b").matcher(text).find(), where + ": USER 185 (not root)");
        problems.check(text.contains("-jar /deployments/quarkus-run.jar"),
                where + ": the entry point runs java -jar /deployments/quarkus-run.jar");
        problems.check(text.contains("-Dquarkus.http.host=0.0.0.0"),
                where + ": java needs -Dquarkus.http.host=0.0.0.0, or nothing outside the container reaches it");
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
            if (WORKLOAD_KINDS.contains(manifest.kind())) {
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
    // operator commands and observations: the command signing key, the known agents
    // ---------------------------------------------------------------------------------------------

    @Test
    void onlyTheGatewaysGetTheCommandSigningKey() {
        Problems problems = new Problems();
        problems.addAll(composeSigningKeyProblems(compose()));
        for (Workload workload : k8sWorkloads()) {
            boolean gateway = workload.module().equals("api-gateway");
            if (gateway) {
                JsonNode entry = workload.env().get(SIGNING_KEY);
                JsonNode ref = entry == null ? JSON.createObjectNode() : entry.path("valueFrom").path("secretKeyRef");
                problems.check(ref.path("name").asText().equals(SIGNING_SECRET) && ref.path("key").asText().equals(
                        SIGNING_SECRET_KEY), workload + ": " + SIGNING_KEY + " should come from Secret " + SIGNING_SECRET
                        + ", key " + SIGNING_SECRET_KEY + " (k8s/README.md), never from the manifest or a ConfigMap");
            }
            problems.check(gateway || !k8sSecretsRead(workload).contains(SIGNING_SECRET), workload + " reads Secret "
                    + SIGNING_SECRET + ": the command signing key belongs to the gateways only - whoever holds it can "
                    + "make the failover-service switch over, fail over or stop acting");
        }
        problems.assertNone("the command signing key");
    }

    @Test
    void failoverServicesVerifyCommandsWithThePublicKey() {
        Problems problems = new Problems();
        JsonNode compose = compose();
        for (Workload failover : composeWorkloads(compose)) {
            if (!failover.module().equals("failover-service")) {
                continue;
            }
            String value = literal(failover.env().get(VERIFY_KEYS));
            Optional<String> variable = reference(value);
            problems.check(variable.isPresent() && !variable.get().equals(SIGNING_KEY), failover + ": " + VERIFY_KEYS
                    + " is " + value + "; it should be ${" + VERIFY_KEYS + ":?...} from .env, the public half of the "
                    + "gateways' " + SIGNING_KEY + " (" + MAKE_COMMAND_KEYS + " prints both lines)");
        }
        for (Workload failover : k8sWorkloads()) {
            if (!failover.module().equals("failover-service")) {
                continue;
            }
            List<Path> deployments = new ArrayList<>();
            deployments.add(null); // the base
            deployments.addAll(overlays());
            for (Path overlay : deployments) {
                String where = (overlay == null ? "" : ROOT.relativize(overlay) + ": ") + failover;
                k8sEnvValue(failover, VERIFY_KEYS, overlay, k8sBase())
                        .ifPresent(value -> problems.addAll(verifyKeyProblems(where, value)));
            }
        }
        Path script = ROOT.resolve(MAKE_COMMAND_KEYS);
        problems.check(Files.isRegularFile(script) && Files.isExecutable(script), MAKE_COMMAND_KEYS + " should exist "
                + "and be executable: .env.example and k8s/README.md make the key pair with it");
        problems.check(read(ROOT.resolve(".env.example")).contains(MAKE_COMMAND_KEYS), ".env.example should say that "
                + SIGNING_KEY + " and " + VERIFY_KEYS + " come from " + MAKE_COMMAND_KEYS + " (random bytes are no key pair)");
        problems.assertNone("the command verification keys");
    }

    @Test
    void knownAgentsAreTheAgentsComposeRuns() {
        Problems problems = new Problems();
        problems.addAll(composeKnownAgentProblems(compose()));
        problems.assertNone("known agents in docker-compose.yml");
    }

    @Test
    void knownAgentsAreTheAgentsKubernetesRuns() {
        Problems problems = new Problems();
        problems.addAll(k8sKnownAgentProblems(k8sBase(), null));
        // an overlay's own resources may run agents too (overlays/dev: the node agents of demo-cluster.yaml)
        overlays().forEach(overlay -> problems.addAll(k8sKnownAgentProblems(kustomize(overlay), overlay)));
        problems.assertNone("known agents in k8s/");
    }

    /** The checkers themselves: an agent left out of the list, and the signing key where it does not belong. */
    @Test
    void commandAndAgentChecksCatchWhatTheyAreFor() {
        JsonNode snippet = yaml("""
                services:
                  agent-a:
                    image: regent/monitor-service:dev
                    environment: { REGENT_AGENT_ID: agent-a }
                  agent-b:
                    image: regent/monitor-service:dev
                    environment: { REGENT_AGENT_ID: agent-b }
                  agent-c:
                    image: regent/monitor-service:dev
                    hostname: agent-c
                  failover:
                    image: regent/failover-service:dev
                    environment:
                      REGENT_KNOWN_AGENTS: agent-a,agent-x
                      REGENT_COMMAND_VERIFY_KEYS: ${REGENT_COMMAND_SIGNING_KEY:?}
                  gateway:
                    image: regent/api-gateway:dev
                    environment:
                      REGENT_KNOWN_AGENTS: "*"
                      REGENT_COMMAND_SIGNING_KEY: ${REGENT_COMMAND_SIGNING_KEY:?}
                  gateway-2:
                    image: regent/api-gateway:dev
                    environment: { REGENT_COMMAND_SIGNING_KEY: not-a-reference }
                """);
        List<String> agents = composeKnownAgentProblems(snippet);
        assertThat(agents).anySatisfy(p -> assertThat(p).contains("service failover")
                .contains("does not list [agent-b, agent-c]"));
        assertThat(agents).anySatisfy(p -> assertThat(p).contains("service failover").contains("lists [agent-x]"));
        assertThat(agents).anySatisfy(p -> assertThat(p).contains("service gateway").contains("every agent id"));
        assertThat(composeKnownAgentProblems(yaml("""
                services:
                  agent:
                    image: regent/monitor-service:dev
                """))).singleElement().asString().contains("service agent").contains("REGENT_AGENT_ID");
        List<String> signing = composeSigningKeyProblems(snippet);
        assertThat(signing).anySatisfy(p -> assertThat(p).contains("service failover").contains("gateways only"));
        assertThat(signing).anySatisfy(p -> assertThat(p).contains("service gateway-2").contains("from .env"));
        assertThat(signing).noneMatch(p -> p.contains("service gateway "));
        String[] pair = CommandSignature.newKeyPair(); // private, public
        assertThat(verifyKeyProblems("snippet", pair[1] + "," + pair[0])).singleElement().asString()
                .contains("not a Base64 X.509").doesNotContain(pair[0].substring(12)); // the private key is not shown
        assertThat(verifyKeyProblems("snippet", pair[1])).isEmpty();

        // Kubernetes: a fourth agent the ConfigMap does not list; agents whose pods have random names
        String manifests = """
                apiVersion: v1
                kind: ConfigMap
                metadata: { name: regent-config }
                data: { REGENT_KNOWN_AGENTS: "regent-monitor-0,regent-monitor-1,regent-monitor-2" }
                ---
                apiVersion: apps/v1
                kind: StatefulSet
                metadata: { name: regent-monitor }
                spec:
                  replicas: 4
                  template:
                    spec:
                      containers:
                        - { name: monitor, image: "regent/monitor-service:0.1.0" }
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: { name: regent-failover }
                spec:
                  template:
                    spec:
                      containers:
                        - name: failover
                          image: regent/failover-service:0.1.0
                          env:
                            - name: REGENT_KNOWN_AGENTS
                              valueFrom: { configMapKeyRef: { name: regent-config, key: REGENT_KNOWN_AGENTS } }
                """;
        assertThat(k8sKnownAgentProblems(snippetManifests(manifests), null)).singleElement().asString()
                .contains("does not list [regent-monitor-3]");
        assertThat(k8sKnownAgentProblems(snippetManifests(manifests.replace("kind: StatefulSet", "kind: Deployment")),
                null)).anySatisfy(p -> assertThat(p).contains("Deployment regent-monitor").contains("StatefulSet"));
    }

    // ---------------------------------------------------------------------------------------------
    // Kafka: SASL_SSL everywhere, one principal per service, the ACLs of KafkaAccess
    // ---------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("services")
    void everyServiceHasAKafkaPrincipalOfItsOwn(String module) {
        Problems problems = new Problems();
        String principal = KAFKA_PRINCIPALS.get(module);
        problems.check(principal != null && KafkaAccess.SERVICE_PRINCIPALS.contains(principal), "this test's "
                + "KAFKA_PRINCIPALS gives " + module + " no principal of io.regent.events.KafkaAccess.SERVICE_PRINCIPALS");
        problems.check(KafkaAccess.GRANTS.stream().anyMatch(g -> g.principal().equals(principal)),
                "io.regent.events.KafkaAccess grants " + principal + " (" + module + ") nothing");
        ServiceConfig config = CONFIGS.get(module);
        String byDefault = config.defaultOf("REGENT_KAFKA_USERNAME");
        problems.check(config.refs().containsKey("REGENT_KAFKA_USERNAME") && config.refs().containsKey("REGENT_KAFKA_PASSWORD"),
                config.file() + " should read REGENT_KAFKA_USERNAME and REGENT_KAFKA_PASSWORD (kafka.sasl.jaas.config)");
        problems.check(byDefault == null || byDefault.equals(principal), config.file() + " logs in to Kafka as " + byDefault
                + " by default; the service's principal is " + principal);
        problems.check(config.refs().containsKey("REGENT_KAFKA_SECURITY_PROTOCOL"), config.file()
                + " should read REGENT_KAFKA_SECURITY_PROTOCOL (kafka.security.protocol): the deployments set SASL_SSL");
        problems.assertNone(module + ": Kafka principal");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("regentWorkloads")
    void kafkaClientLogsInAsItsOwnPrincipalOverTls(Workload workload) {
        Problems problems = new Problems();
        String principal = KAFKA_PRINCIPALS.get(workload.module());
        Map<String, JsonNode> env = workload.env();
        String username = literal(env.get("REGENT_KAFKA_USERNAME"));
        problems.check(Objects.equals(principal, username), workload + ": REGENT_KAFKA_USERNAME is " + username
                + "; set it to " + principal + ", the service's own principal (io.regent.events.KafkaAccess)");
        String protocol = literal(env.get("REGENT_KAFKA_SECURITY_PROTOCOL"));
        problems.check("SASL_SSL".equals(protocol), workload + ": REGENT_KAFKA_SECURITY_PROTOCOL is " + protocol
                + "; set it to SASL_SSL - the broker takes authenticated, encrypted clients only");
        String type = literal(env.get("KAFKA_SSL_TRUSTSTORE_TYPE"));
        problems.check("PEM".equals(type), workload + ": KAFKA_SSL_TRUSTSTORE_TYPE is " + type
                + "; set it to PEM (the CA certificate, as deploy/kafka/make-certs.sh and Strimzi write it)");
        String truststore = literal(env.get("KAFKA_SSL_TRUSTSTORE_LOCATION"));
        JsonNode password = env.get("REGENT_KAFKA_PASSWORD");
        if (workload.container() == null) { // docker compose
            Optional<String> variable = reference(literal(password));
            Optional<String> created = Optional.ofNullable(composeKafkaPasswordVariables().get(principal));
            problems.check(variable.isPresent() && variable.equals(created), workload + ": REGENT_KAFKA_PASSWORD is "
                    + literal(password) + "; it must be the ${...} variable kafka-init creates " + principal + " with ("
                    + created.orElse("none: see " + SETUP_USERS + " and kafka-init's environment") + ")");
            Optional<Mounted> ca = truststore == null ? Optional.empty() : composeMountedFrom(workload.node(), truststore);
            problems.check(ca.isPresent() && ca.get().host().equals(KAFKA_CLIENT_CA) && ca.get().readOnly(), workload
                    + ": KAFKA_SSL_TRUSTSTORE_LOCATION " + truststore + " should be ./" + ROOT.relativize(KAFKA_CLIENT_CA)
                    + " (written by deploy/kafka/make-certs.sh), mounted read-only; it is "
                    + ca.map(m -> ROOT.relativize(m.host()) + (m.readOnly() ? "" : " (writable)")).orElse("no mounted file"));
        } else {
            JsonNode ref = password == null ? JSON.createObjectNode() : password.path("valueFrom").path("secretKeyRef");
            String secret = KAFKA_SECRET_PREFIX + principal;
            problems.check(ref.path("name").asText().equals(secret) && ref.path("key").asText().equals("password"), workload
                    + ": REGENT_KAFKA_PASSWORD should come from Secret " + secret + ", key password (" + principal
                    + "'s own Secret, the one Strimzi's User Operator makes with secretPrefix " + KAFKA_SECRET_PREFIX + ")");
            Optional<SecretFile> ca = truststore == null ? Optional.empty() : k8sSecretFile(workload, truststore);
            problems.check(ca.isPresent() && ca.get().key().equals("ca.crt"), workload + ": KAFKA_SSL_TRUSTSTORE_LOCATION "
                    + truststore + " should be key ca.crt of a Secret volume mounted into the container");
            String readme = read(ROOT.resolve("k8s/README.md"));
            ca.ifPresent(file -> problems.check(readme.contains("`" + file.secret() + "`") && readme.contains("`ca.crt`"),
                    workload + " reads the Kafka CA from key ca.crt of Secret " + file.secret()
                            + ": document both in k8s/README.md (and how to make them)"));
        }
        problems.assertNone(workload + ": Kafka client");
    }

    @Test
    void composeKafkaTakesOnlyAuthenticatedEncryptedClients() {
        Problems problems = new Problems();
        JsonNode compose = compose();
        Map<String, JsonNode> services = composeServices(compose);
        List<String> brokers = services.keySet().stream()
                .filter(name -> composeEnvironment(services.get(name)).containsKey("KAFKA_PROCESS_ROLES")).toList();
        problems.check(!brokers.isEmpty(), "docker-compose.yml runs no Kafka broker (a service with KAFKA_PROCESS_ROLES)");
        for (String name : brokers) {
            JsonNode broker = services.get(name);
            String where = "docker-compose.yml service " + name;
            Map<String, String> env = composeEnvironment(broker);
            Map<String, String> protocols = new TreeMap<>();
            for (String entry : env.getOrDefault("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "").split(",")) {
                String[] pair = entry.trim().split(":");
                if (pair.length == 2) {
                    protocols.put(pair[0], pair[1]);
                }
            }
            for (String listener : env.getOrDefault("KAFKA_LISTENERS", "").split(",")) {
                String listenerName = listener.trim().replaceFirst("://.*$", "");
                String protocol = protocols.getOrDefault(listenerName, listenerName); // or named after its protocol
                problems.check(protocol.equals("SASL_SSL"), where + ": listener " + listener.trim() + " is " + protocol
                        + "; every listener, the controller's too, should be SASL_SSL - anything else is a way in "
                        + "without a password, or without encryption");
            }
            for (String advertised : env.getOrDefault("KAFKA_ADVERTISED_LISTENERS", "").split(",")) {
                String listenerName = advertised.trim().replaceFirst("://.*$", "");
                String mechanisms = env.getOrDefault("KAFKA_LISTENER_NAME_" + listenerName + "_SASL_ENABLED_MECHANISMS",
                        env.get("KAFKA_SASL_ENABLED_MECHANISMS"));
                problems.check("SCRAM-SHA-512".equals(mechanisms), where + ": clients log in on " + listenerName
                        + " with " + mechanisms + "; offer SCRAM-SHA-512 only (the services' kafka.sasl.mechanism)");
            }
            String controllerListener = env.getOrDefault("KAFKA_CONTROLLER_LISTENER_NAMES", "");
            String controllerMechanisms = env.getOrDefault("KAFKA_LISTENER_NAME_" + controllerListener
                    + "_SASL_ENABLED_MECHANISMS", env.get("KAFKA_SASL_ENABLED_MECHANISMS"));
            problems.check("PLAIN".equals(controllerMechanisms) && "PLAIN".equals(env.get("KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL")),
                    where + ": the controller listener " + controllerListener + " should take SASL PLAIN with its one static "
                            + "user " + KAFKA_CONTROLLER + " (" + KAFKA_START + " writes it); it offers " + controllerMechanisms);
            problems.check(STANDARD_AUTHORIZER.equals(env.get("KAFKA_AUTHORIZER_CLASS_NAME")), where
                    + ": KAFKA_AUTHORIZER_CLASS_NAME should be " + STANDARD_AUTHORIZER + " (it is "
                    + env.get("KAFKA_AUTHORIZER_CLASS_NAME") + "): without an authorizer every principal may do anything");
            problems.check("false".equals(env.get("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND")), where
                    + ": KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND should be \"false\": a resource without ACLs is closed");
            Set<String> superUsers = new TreeSet<>();
            for (String user : env.getOrDefault("KAFKA_SUPER_USERS", "").split(";")) {
                if (!user.isBlank()) {
                    superUsers.add(user.trim());
                }
            }
            problems.check(superUsers.equals(Set.of("User:" + KafkaAccess.ADMIN, "User:" + KAFKA_CONTROLLER)), where
                    + ": KAFKA_SUPER_USERS is " + superUsers + "; it should be exactly User:" + KafkaAccess.ADMIN + ";User:"
                    + KAFKA_CONTROLLER + " - a service principal must live with its ACLs");
            problems.check("PEM".equals(env.get("KAFKA_SSL_KEYSTORE_TYPE")) && composeMountedFrom(broker,
                            env.getOrDefault("KAFKA_SSL_KEYSTORE_LOCATION", "/nowhere"))
                            .filter(m -> m.host().equals(KAFKA_KEYSTORE) && m.readOnly()).isPresent(),
                    where + ": KAFKA_SSL_KEYSTORE_LOCATION should be ./" + ROOT.relativize(KAFKA_KEYSTORE)
                            + " (deploy/kafka/make-certs.sh) mounted read-only, KAFKA_SSL_KEYSTORE_TYPE PEM");
            problems.check(composeMountedFrom(broker, env.getOrDefault("KAFKA_SSL_TRUSTSTORE_LOCATION", "/nowhere"))
                            .filter(m -> m.host().equals(KAFKA_CLIENT_CA)).isPresent(),
                    where + ": KAFKA_SSL_TRUSTSTORE_LOCATION should be ./" + ROOT.relativize(KAFKA_CLIENT_CA)
                            + " (its own connections to the controller listener verify the certificate)");
            Optional<Mount> start = composeMounts(broker).stream()
                    .filter(m -> m.host().equals(ROOT.resolve(KAFKA_START))).findFirst();
            problems.check(start.isPresent() && text(broker.path("entrypoint")).contains(start.get().target()), where
                    + " should start with ./" + KAFKA_START + " (mounted, as its entrypoint): it adds the listeners' "
                    + "users and formats the storage with " + KafkaAccess.ADMIN + "'s SCRAM credential");
            for (String variable : List.of("REGENT_KAFKA_ADMIN_PASSWORD", "REGENT_KAFKA_CONTROLLER_PASSWORD")) {
                problems.check(reference(env.get(variable)).isPresent(), where + " should get " + variable
                        + " from .env (" + KAFKA_START + " reads it)");
            }
            problems.check(text(broker.path("healthcheck").path("test")).contains("--command-config"), where
                    + ": the healthcheck's Kafka tool needs --command-config (regent-admin's client settings): the "
                    + "broker answers nobody else");
        }

        Map<String, String> users = kafkaUserVariables();
        problems.check(users.keySet().equals(new TreeSet<>(KafkaAccess.SERVICE_PRINCIPALS)), SETUP_USERS + " creates "
                + users.keySet() + "; io.regent.events.KafkaAccess.SERVICE_PRINCIPALS are " + KafkaAccess.SERVICE_PRINCIPALS);
        Optional<String> init = composeKafkaInit(compose);
        if (init.isEmpty()) {
            problems.add("docker-compose.yml has no service that mounts ./" + SETUP_USERS + " and ./" + SETUP_ACLS
                    + " and runs them (kafka-init): the services' principals would not exist");
        } else {
            JsonNode service = services.get(init.get());
            String where = "docker-compose.yml service " + init.get();
            String command = text(service.path("command"));
            for (String script : List.of(SETUP_USERS, SETUP_ACLS)) {
                Optional<Mount> mount = composeMounts(service).stream()
                        .filter(m -> m.host().equals(ROOT.resolve(script))).findFirst();
                problems.check(mount.isPresent() && command.contains(mount.get().target()), where + " should mount ./"
                        + script + " and run it");
            }
            for (String line : command.split("\n")) {
                problems.check(!line.contains("/opt/kafka/bin/") || line.contains("--command-config"), where + ": `"
                        + line.trim() + "` needs --command-config (regent-admin's client settings)");
            }
            Map<String, String> env = composeEnvironment(service);
            brokers.forEach(broker -> problems.check(sameVariable(env.get("REGENT_KAFKA_ADMIN_PASSWORD"),
                            composeEnvironment(services.get(broker)).get("REGENT_KAFKA_ADMIN_PASSWORD")),
                    where + ": REGENT_KAFKA_ADMIN_PASSWORD must be the ${...} variable the broker " + broker
                            + " formats its storage with"));
            Map<String, String> variables = composeKafkaPasswordVariables();
            users.forEach((principal, variable) -> problems.check(variables.containsKey(principal), where + " should set "
                    + variable + " from .env: " + SETUP_USERS + " creates " + principal + " with it"));
            problems.check(new TreeSet<>(variables.values()).size() == variables.size(), where
                    + ": two principals share a password variable " + variables);
            for (Workload workload : composeWorkloads(compose)) {
                problems.check(readyBefore(services, workload.name()).contains(init.get()), workload + " should wait for "
                        + init.get() + " (depends_on: {" + init.get() + ": {condition: service_completed_successfully}}): "
                        + "its Kafka user and ACLs come from there");
            }
        }
        problems.check(gitignored(ROOT.resolve(KAFKA_DIR), "certs/"), KAFKA_DIR + "/.gitignore must list certs/ "
                + "(deploy/kafka/make-certs.sh writes the CA's and the broker's private keys there)");
        problems.assertNone("Kafka security in docker-compose.yml");
    }

    @Test
    void composeAppliesTheAclsOfKafkaAccess() {
        Problems problems = new Problems();
        String script = read(ROOT.resolve(SETUP_ACLS));
        List<String> unreadable = new ArrayList<>();
        List<Acl> acls = scriptAcls(SETUP_ACLS, script, unreadable);
        problems.addAll(unreadable);
        problems.addAll(aclDifferences(SETUP_ACLS, acls));
        problems.check(script.contains("kafka-acls.sh") && script.contains("--add")
                        && script.contains("--allow-principal \"User:$principal\""),
                SETUP_ACLS + ": acl() should run kafka-acls.sh --add --allow-principal \"User:$principal\" with its arguments");
        problems.assertNone("the ACLs of " + SETUP_ACLS);
    }

    @Test
    void strimziKafkaTakesOnlyScramOverTlsAndAuthorizesByAcl() {
        Problems problems = new Problems();
        for (Path overlay : overlays()) {
            List<Manifest> own = overlayResources(overlay);
            for (Manifest kafka : own.stream().filter(m -> m.kind().equals("Kafka")).toList()) {
                JsonNode spec = kafka.doc().path("spec").path("kafka");
                for (JsonNode listener : spec.path("listeners")) {
                    String name = listener.path("name").asText();
                    problems.check(listener.path("tls").asBoolean(false), kafka + ": listener " + name
                            + " should have tls: true (SASL_SSL); a listener without TLS sends passwords and data in clear");
                    problems.check("scram-sha-512".equals(listener.path("authentication").path("type").asText()), kafka
                            + ": listener " + name + " should have authentication: {type: scram-sha-512}");
                }
                problems.check("simple".equals(spec.path("authorization").path("type").asText()), kafka
                        + " needs authorization: {type: simple} - without it every user may do anything");
                Set<String> superUsers = new TreeSet<>();
                spec.path("authorization").path("superUsers").forEach(u -> superUsers.add(u.asText()));
                problems.check(superUsers.equals(Set.of(KafkaAccess.ADMIN)), kafka + ": authorization.superUsers is "
                        + superUsers + "; of Regent's principals only " + KafkaAccess.ADMIN + " is a super user");
                problems.check(!"true".equals(spec.path("config").path("allow.everyone.if.no.acl.found").asText()), kafka
                        + " must not set allow.everyone.if.no.acl.found: true");
                JsonNode userOperator = kafka.doc().path("spec").path("entityOperator").path("userOperator");
                problems.check(!userOperator.isMissingNode(), kafka + " needs entityOperator.userOperator: nothing would "
                        + "create the KafkaUsers");
                problems.check(KAFKA_SECRET_PREFIX.equals(userOperator.path("secretPrefix").asText()), kafka
                        + ": entityOperator.userOperator.secretPrefix should be " + KAFKA_SECRET_PREFIX + " - the Deployments "
                        + "read the password of principal P from Secret " + KAFKA_SECRET_PREFIX + "P");

                Map<String, Manifest> users = kafkaUsers(own, kafka.name());
                Set<String> principals = new TreeSet<>(KafkaAccess.SERVICE_PRINCIPALS);
                principals.add(KafkaAccess.ADMIN);
                for (String principal : principals) {
                    Manifest user = users.get(principal);
                    problems.check(user != null && "scram-sha-512".equals(user.doc().path("spec").path("authentication")
                            .path("type").asText()), ROOT.relativize(overlay) + " needs a KafkaUser " + principal
                            + " (label strimzi.io/cluster: " + kafka.name() + ") with authentication: {type: scram-sha-512}");
                }
                users.keySet().forEach(user -> problems.check(principals.contains(user), ROOT.relativize(overlay)
                        + " has KafkaUser " + user + ", which is no principal of io.regent.events.KafkaAccess"));
                Optional.ofNullable(users.get(KafkaAccess.ADMIN)).ifPresent(admin -> problems.check(
                        admin.doc().path("spec").path("authorization").path("acls").isEmpty(), admin
                                + " needs no ACLs: it is a super user"));

                // the services trust the CA Strimzi signs the listener's certificate with
                String clusterCa = kafka.name() + "-cluster-ca-cert";
                for (Workload workload : k8sWorkloads()) {
                    String truststore = literal(workload.env().get("KAFKA_SSL_TRUSTSTORE_LOCATION"));
                    Optional<SecretFile> ca = truststore == null ? Optional.empty() : k8sSecretFile(workload, truststore);
                    String secret = ca.map(file -> patchedSecretName(overlay, workload.name(), file)).orElse(null);
                    problems.check(clusterCa.equals(secret) && ca.get().key().equals("ca.crt"), ROOT.relativize(overlay)
                            + ": " + workload.name() + " should read the Kafka CA from Secret " + clusterCa
                            + " (key ca.crt; patch the volume's secretName), not " + secret);
                }
            }
        }
        problems.assertNone("Strimzi Kafka security");
    }

    @Test
    void strimziKafkaUsersHaveTheAclsOfKafkaAccess() {
        Problems problems = new Problems();
        for (Path overlay : overlays()) {
            List<Manifest> own = overlayResources(overlay);
            for (Manifest kafka : own.stream().filter(m -> m.kind().equals("Kafka")).toList()) {
                List<String> unreadable = new ArrayList<>();
                List<Acl> acls = strimziAcls(kafkaUsers(own, kafka.name()).values(), unreadable);
                problems.addAll(unreadable);
                problems.addAll(aclDifferences(ROOT.relativize(overlay) + "'s KafkaUsers", acls));
            }
        }
        problems.assertNone("the ACLs of the KafkaUsers");
    }

    /** The checker itself: a missing grant and one KafkaAccess does not have must both be reported. */
    @Test
    void aclCheckCatchesAMissingAndAnExtraGrant() {
        List<String> unreadable = new ArrayList<>();
        List<Acl> script = scriptAcls("snippet", """
                # the monitor may write commands, and may not read topology
                acl regent-monitor --topic regent.node-health.v1 --operation Write --operation Describe
                acl regent-monitor --topic regent.commands.v1 --operation Write \\
                  --operation Describe
                acl regent-monitor --topic regent.topology.v1 --allow-host 10.0.0.1 --operation Describe
                """, unreadable);
        assertThat(unreadable).singleElement().asString().contains("--allow-host");
        List<String> differences = aclDifferences("snippet", script);
        assertThat(differences).anySatisfy(p -> assertThat(p)
                .contains("does not grant User:regent-monitor READ on topic regent.topology.v1"));
        assertThat(differences).anySatisfy(p -> assertThat(p)
                .contains("grants User:regent-monitor WRITE on topic regent.commands.v1"));
        assertThat(differences).filteredOn(p -> p.contains("User:regent-monitor"))
                .noneMatch(p -> p.contains("regent.node-health.v1"));

        JsonNode user = yaml("""
                apiVersion: kafka.strimzi.io/v1beta2
                kind: KafkaUser
                metadata: { name: regent-app, labels: { strimzi.io/cluster: regent } }
                spec:
                  authentication: { type: scram-sha-512 }
                  authorization:
                    type: simple
                    acls:
                      - resource: { type: topic, name: regent.topology.v1, patternType: literal }
                        operations: [Read, Describe]
                      - resource: { type: group, name: regent-app }
                        operations: [Read]
                """);
        List<Acl> strimzi = strimziAcls(List.of(new Manifest(ROOT.resolve("snippet.yaml"), user)), unreadable);
        List<String> strimziDifferences = aclDifferences("snippet", strimzi);
        assertThat(strimziDifferences).anySatisfy(p -> assertThat(p)
                .contains("does not grant User:regent-app READ on group regent-app*"));
        assertThat(strimziDifferences).anySatisfy(p -> assertThat(p)
                .contains("grants User:regent-app READ on group regent-app,"));
    }

    // ---------------------------------------------------------------------------------------------
    // the checks
    // ---------------------------------------------------------------------------------------------

    /**
     * Whether a regent/node container reads {@code name} although application.properties does not name it: the
     * agent's {@code regent.monitor.*} settings by Quarkus' environment names (REGENT_MONITOR_NODE_NAME is
     * regent.monitor.node.name), or a variable of the image's entry point deploy/images/node/node-start.sh.
     */
    static boolean readByNodeImage(Workload workload, String name) {
        if (!isNodeImage(workload)) {
            return false;
        }
        return name.startsWith("REGENT_MONITOR_") || read(ROOT.resolve("deploy/images/node/node-start.sh"))
                .contains("${" + name);
    }

    static boolean isNodeImage(Workload workload) {
        JsonNode holder = workload.container() == null ? workload.node() : workload.container();
        return holder.path("image").asText().startsWith("regent/node:");
    }

    /** The environment of one deployed service against its application.properties. */
    static List<String> environmentProblems(Workload workload) {
        ServiceConfig config = CONFIGS.get(workload.module());
        Set<String> names = workload.env().keySet();
        List<String> problems = new ArrayList<>();
        for (String name : new TreeSet<>(names)) {
            if (FORBIDDEN.containsKey(name)) {
                problems.add(workload + " sets " + name + ": " + FORBIDDEN.get(name));
            } else if (name.startsWith("REGENT_") && !config.refs().containsKey(name)
                    && !readByNodeImage(workload, name)) {
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

    /**
     * The command signing key in docker-compose.yml: every gateway takes it from .env with {@code ${...:?}}, and
     * no other service gets that variable.
     */
    static List<String> composeSigningKeyProblems(JsonNode compose) {
        List<String> problems = new ArrayList<>();
        Set<String> variables = new TreeSet<>(Set.of(SIGNING_KEY));
        for (Workload gateway : composeWorkloads(compose)) {
            if (!gateway.module().equals("api-gateway")) {
                continue;
            }
            String value = literal(gateway.env().get(SIGNING_KEY));
            Matcher whole = WHOLE_REFERENCE.matcher(value == null ? "" : value.trim());
            if (whole.matches() && ":?".equals(whole.group(2))) {
                variables.add(whole.group(1));
            } else {
                problems.add(gateway + ": " + SIGNING_KEY + " is " + (value == null ? "not set" : "not a ${...:?} reference")
                        + "; take it from .env: ${" + SIGNING_KEY + ":?...} (" + MAKE_COMMAND_KEYS + " prints it), never "
                        + "a value in the file");
            }
        }
        composeServices(compose).forEach((service, node) -> {
            if (composeModule(node).filter("api-gateway"::equals).isPresent()) {
                return;
            }
            composeEnvironment(node).forEach((name, value) -> {
                Matcher variable = COMPOSE_VARIABLE.matcher(value);
                while (variable.find()) {
                    if (variables.contains(variable.group(1))) {
                        problems.add("docker-compose.yml service " + service + " gets ${" + variable.group(1) + "} (as "
                                + name + "): the command signing key belongs to the gateways only - whoever holds it "
                                + "can make the failover-service switch over, fail over or stop acting");
                    }
                }
            });
        });
        return problems;
    }

    /** A REGENT_COMMAND_VERIFY_KEYS value: Base64 X.509 Ed25519 public keys, read as the failover-service reads them. */
    static List<String> verifyKeyProblems(String where, String value) {
        List<String> problems = new ArrayList<>();
        for (String key : value.split(",")) {
            if (key.isBlank()) {
                continue; // skipped by the service too; an empty value is a placeholder the README says to fill in
            }
            try {
                CommandSignature.publicKey(key);
            } catch (IllegalArgumentException e) {
                String shown = key.strip().length() > 16 ? key.strip().substring(0, 12) + "..." : key.strip();
                problems.add(where + ": " + VERIFY_KEYS + " has " + shown + ", which is " + e.getMessage()
                        + " - use the " + VERIFY_KEYS + " line of " + MAKE_COMMAND_KEYS + " (and never the private key)");
            }
        }
        return problems;
    }

    /** The REGENT_KNOWN_AGENTS of docker-compose.yml's services against the agent ids its monitor agents have. */
    static List<String> composeKnownAgentProblems(JsonNode compose) {
        List<String> problems = new ArrayList<>();
        Set<String> agents = new TreeSet<>();
        for (Workload agent : composeWorkloads(compose)) {
            if (!agent.module().equals("monitor-service")) {
                continue;
            }
            String id = Optional.ofNullable(literal(agent.env().get("REGENT_AGENT_ID")))
                    .orElse(agent.node().path("hostname").asText(null)); // else $HOSTNAME
            if (id == null || id.isBlank() || reference(id).isPresent()) {
                problems.add(agent + " has no agent id in the file: set REGENT_AGENT_ID - by default it is the "
                        + "container's hostname, a random id no " + KNOWN_AGENTS + " can list");
            } else {
                agents.add(id);
            }
        }
        if (!problems.isEmpty()) {
            return problems; // a list cannot match ids nobody knows
        }
        for (Workload reader : composeWorkloads(compose)) {
            if (reader.env().containsKey(KNOWN_AGENTS)) { // whether it must: NEEDED
                problems.addAll(knownAgentProblems(reader.toString(), literal(reader.env().get(KNOWN_AGENTS)), agents,
                        "the REGENT_AGENT_IDs of its monitor agents"));
            }
        }
        return problems;
    }

    /**
     * The REGENT_KNOWN_AGENTS of the workloads among {@code manifests}, as {@code overlay} patches them (null: as
     * they are), against the agent ids their monitor agents have.
     */
    static List<String> k8sKnownAgentProblems(List<Manifest> manifests, Path overlay) {
        List<String> problems = new ArrayList<>();
        List<Workload> workloads = k8sWorkloads(manifests);
        Set<String> agents = k8sAgentIds(workloads, overlay, problems);
        if (!problems.isEmpty()) {
            return problems; // a list cannot match ids nobody knows
        }
        for (Workload reader : workloads) {
            if (!reader.env().containsKey(KNOWN_AGENTS)) {
                continue; // whether it must: NEEDED
            }
            String where = (overlay == null ? "" : ROOT.relativize(overlay) + ": ") + reader;
            problems.addAll(knownAgentProblems(where, k8sEnvValue(reader, KNOWN_AGENTS, overlay, manifests).orElse(null),
                    agents, "the pod names of its agents"));
        }
        return problems;
    }

    /**
     * One REGENT_KNOWN_AGENTS value against the agent ids its deployment runs: exactly those, no {@code *}, no
     * blanks (the services compare ids as they are).
     */
    static List<String> knownAgentProblems(String where, String value, Set<String> agents, String source) {
        List<String> problems = new ArrayList<>();
        if (value == null) {
            problems.add(where + ": " + KNOWN_AGENTS + " is no plain value (nor a ConfigMap key) this test can read; "
                    + "list the agents, " + String.join(",", agents));
            return problems;
        }
        List<String> listed = value.isEmpty() ? List.of() : List.of(value.split(",", -1));
        if (listed.contains("*")) {
            problems.add(where + ": " + KNOWN_AGENTS + " is " + value + ", which trusts every agent id - anyone who may "
                    + "publish node health could count toward a failover; list the agents, " + String.join(",", agents));
            return problems;
        }
        listed.stream().filter(id -> id.isEmpty() || !id.equals(id.strip())).forEach(id -> problems.add(where + ": "
                + KNOWN_AGENTS + " `" + value + "` has the entry `" + id + "`: no blanks, no empty entries (the ids are "
                + "compared as they are)"));
        Set<String> missing = new TreeSet<>(agents);
        missing.removeAll(listed);
        Set<String> extra = new TreeSet<>(listed);
        extra.removeAll(agents);
        extra.removeIf(id -> id.isBlank() || !id.equals(id.strip()));
        if (!missing.isEmpty()) {
            problems.add(where + ": " + KNOWN_AGENTS + " does not list " + missing + ": their observations would be "
                    + "dropped - add them (it is `" + value + "`; " + source + ": " + agents + ")");
        }
        if (!extra.isEmpty()) {
            problems.add(where + ": " + KNOWN_AGENTS + " lists " + extra + ", which no agent of this deployment is ("
                    + source + ": " + agents + "): remove them - an id nobody runs is one anyone could publish as");
        }
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

    /** A bind mount of a compose service: the host path (absolute, normalised) at {@code target}. */
    record Mount(Path host, String target, boolean readOnly) {
    }

    /** What a container path is on the host through a bind mount. */
    record Mounted(Path host, boolean readOnly) {
    }

    /** The bind mounts of a compose service (named volumes left out). */
    static List<Mount> composeMounts(JsonNode service) {
        List<Mount> mounts = new ArrayList<>();
        for (JsonNode volume : service.path("volumes")) {
            String source;
            String target;
            boolean readOnly;
            if (volume.isTextual()) {
                String[] parts = volume.asText().split(":");
                if (parts.length < 2) {
                    continue;
                }
                source = parts[0];
                target = parts[1];
                readOnly = parts.length > 2 && List.of(parts[2].split(",")).contains("ro");
            } else {
                source = volume.path("source").asText();
                target = volume.path("target").asText();
                readOnly = volume.path("read_only").asBoolean(false);
            }
            if (source.startsWith(".") || source.startsWith("/")) {
                mounts.add(new Mount(ROOT.resolve(source).normalize(), target, readOnly));
            }
        }
        return mounts;
    }

    /** The host file behind {@code containerPath}, through the deepest bind mount that holds it. */
    static Optional<Mounted> composeMountedFrom(JsonNode service, String containerPath) {
        Path wanted = Path.of(containerPath).normalize();
        Mount best = null;
        for (Mount mount : composeMounts(service)) {
            Path target = Path.of(mount.target()).normalize();
            if (wanted.startsWith(target) && (best == null || target.getNameCount() > Path.of(best.target()).getNameCount())) {
                best = mount;
            }
        }
        if (best == null) {
            return Optional.empty();
        }
        String inside = Path.of(best.target()).normalize().relativize(wanted).toString();
        return Optional.of(new Mounted(best.host().resolve(inside).normalize(), best.readOnly()));
    }

    /** The one-shot service that runs deploy/kafka/setup-users.sh (kafka-init). */
    static Optional<String> composeKafkaInit(JsonNode compose) {
        return composeServices(compose).entrySet().stream()
                .filter(e -> composeMounts(e.getValue()).stream().anyMatch(m -> m.host().equals(ROOT.resolve(SETUP_USERS))))
                .map(Map.Entry::getKey).findFirst();
    }

    /** principal -> the environment variable deploy/kafka/setup-users.sh takes its password from. */
    static Map<String, String> kafkaUserVariables() {
        Map<String, String> users = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^\\s*user\\s+(\\S+)\\s+(\\S+)\\s*$").matcher(read(ROOT.resolve(SETUP_USERS)));
        while (m.find()) {
            users.put(m.group(1), m.group(2));
        }
        return users;
    }

    /** principal -> the .env variable docker compose hands kafka-init for that principal's password. */
    static Map<String, String> composeKafkaPasswordVariables() {
        Map<String, String> variables = new TreeMap<>();
        JsonNode compose = compose();
        composeKafkaInit(compose).ifPresent(init -> {
            Map<String, String> env = composeEnvironment(composeServices(compose).get(init));
            kafkaUserVariables().forEach((principal, variable) -> reference(env.get(variable))
                    .ifPresent(v -> variables.put(principal, v)));
        });
        return variables;
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
        return k8sWorkloads(k8sBase());
    }

    /** The Regent containers of the Deployments and StatefulSets among {@code manifests}. */
    static List<Workload> k8sWorkloads(List<Manifest> manifests) {
        List<Workload> workloads = new ArrayList<>();
        for (Manifest manifest : manifests) {
            if (!WORKLOAD_KINDS.contains(manifest.kind())) {
                continue;
            }
            for (JsonNode container : manifest.doc().path("spec").path("template").path("spec").path("containers")) {
                imageModule(container.path("image").asText()).ifPresent(module -> {
                    Map<String, JsonNode> env = new TreeMap<>();
                    container.path("env").forEach(entry -> env.put(entry.path("name").asText(), entry));
                    for (JsonNode from : container.path("envFrom")) {
                        JsonNode configMap = manifests.stream().filter(m -> m.kind().equals("ConfigMap")
                                && m.name().equals(from.path("configMapRef").path("name").asText()))
                                .map(Manifest::doc).findFirst().orElse(JSON.createObjectNode());
                        String prefix = from.path("prefix").asText("");
                        fieldNames(configMap.path("data")).forEach(key -> env.putIfAbsent(prefix + key, from));
                    }
                    workloads.add(new Workload(ROOT.relativize(manifest.file()) + ": " + manifest.kind(), manifest.name(), module,
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

    /** A file a container reads from a Secret: the pod's volume, the Secret and the key. */
    record SecretFile(String volume, String secret, String key) {
    }

    /** The Secret key a container sees at {@code path}, through a mounted secret volume. */
    static Optional<SecretFile> k8sSecretFile(Workload workload, String path) {
        Path file = Path.of(path).normalize();
        JsonNode volumes = workload.node().path("spec").path("template").path("spec").path("volumes");
        for (JsonNode mount : workload.container().path("volumeMounts")) {
            Path at = Path.of(mount.path("mountPath").asText("/")).normalize();
            if (mount.has("subPath") || !file.startsWith(at) || file.equals(at)) {
                continue;
            }
            String relative = at.relativize(file).toString();
            for (JsonNode volume : volumes) {
                if (!volume.path("name").asText().equals(mount.path("name").asText()) || !volume.has("secret")) {
                    continue;
                }
                JsonNode items = volume.path("secret").path("items");
                String key = items.isEmpty() ? relative : null;
                for (JsonNode item : items) {
                    if (item.path("path").asText().equals(relative)) {
                        key = item.path("key").asText();
                    }
                }
                if (key != null) {
                    return Optional.of(new SecretFile(volume.path("name").asText(), volume.path("secret")
                            .path("secretName").asText(), key));
                }
            }
        }
        return Optional.empty();
    }

    /** The Secret an overlay's workload patches mount as {@code file}'s volume (the base's when unpatched). */
    static String patchedSecretName(Path overlay, String deployment, SecretFile file) {
        String secret = file.secret();
        for (Manifest patch : overlayPatches(overlay)) {
            if (!WORKLOAD_KINDS.contains(patch.kind()) || !patch.name().equals(deployment)) {
                continue;
            }
            for (JsonNode volume : patch.doc().path("spec").path("template").path("spec").path("volumes")) {
                if (volume.path("name").asText().equals(file.volume()) && volume.path("secret").has("secretName")) {
                    secret = volume.path("secret").path("secretName").asText();
                }
            }
        }
        return secret;
    }

    /**
     * The agent ids the monitor agents among {@code workloads} run with, as {@code overlay} patches them (null: as
     * they are): REGENT_AGENT_ID, by default the pod name - stable only in a StatefulSet ({@code name-0} ..).
     */
    static Set<String> k8sAgentIds(List<Workload> workloads, Path overlay, List<String> problems) {
        Set<String> ids = new TreeSet<>();
        JsonNode kustomization = overlay == null ? JSON.createObjectNode() : yamlFile(overlay.resolve("kustomization.yaml"));
        for (Workload agent : workloads) {
            if (!agent.module().equals("monitor-service")) {
                continue;
            }
            String kind = agent.node().path("kind").asText();
            int replicas = agent.node().path("spec").path("replicas").asInt(1);
            if (overlay != null) {
                for (Manifest patch : overlayPatches(overlay)) {
                    if (patch.kind().equals(kind) && patch.name().equals(agent.name())
                            && patch.doc().path("spec").has("replicas")) {
                        replicas = patch.doc().path("spec").path("replicas").asInt();
                    }
                }
            }
            String where = (overlay == null ? "" : ROOT.relativize(overlay) + ": ") + agent;
            JsonNode id = agent.env().get("REGENT_AGENT_ID");
            boolean podName = id == null || "metadata.name".equals(id.path("valueFrom").path("fieldRef").path("fieldPath")
                    .asText());
            String podNameVariable = agent.env().entrySet().stream().filter(e -> "metadata.name".equals(e.getValue()
                    .path("valueFrom").path("fieldRef").path("fieldPath").asText())).map(Map.Entry::getKey).findFirst()
                    .orElse(null);
            String perPod = podNameVariable == null ? null : "$(" + podNameVariable + ")";
            if (!podName && id.has("value") && perPod != null && id.path("value").asText().contains(perPod)
                    && kind.equals("StatefulSet")) {
                // e.g. node-agent-$(POD_NAME): Kubernetes expands it per pod, name-0 .. name-<replicas - 1>
                String name = kustomization.path("namePrefix").asText("") + agent.name()
                        + kustomization.path("nameSuffix").asText("");
                for (int ordinal = 0; ordinal < replicas; ordinal++) {
                    ids.add(id.path("value").asText().replace(perPod, name + "-" + ordinal));
                }
            } else if (!podName && id.has("value")) {
                ids.add(id.path("value").asText());
                if (replicas > 1) {
                    problems.add(where + ": its " + replicas + " pods all have the agent id " + id.path("value").asText()
                            + " - the observer quorum counts distinct ids");
                }
            } else if (!podName) {
                problems.add(where + ": REGENT_AGENT_ID comes from " + id.path("valueFrom") + "; leave it the pod name "
                        + "(fieldRef metadata.name) so that REGENT_KNOWN_AGENTS can list it");
            } else if (!kind.equals("StatefulSet")) {
                problems.add(where + ": the agent id is the pod name, and a " + kind + "'s pods get random names that no "
                        + KNOWN_AGENTS + " can list: run the agents as a StatefulSet (pods " + agent.name() + "-0, "
                        + agent.name() + "-1, ...)");
            } else {
                String name = kustomization.path("namePrefix").asText("") + agent.name()
                        + kustomization.path("nameSuffix").asText("");
                for (int ordinal = 0; ordinal < replicas; ordinal++) {
                    ids.add(name + "-" + ordinal);
                }
            }
        }
        return ids;
    }

    /**
     * The value a container's variable has - its literal value, or its ConfigMap key's (an overlay's ConfigMap
     * patch first) - or empty when it comes from elsewhere (a Secret, the downward API) or is not set.
     */
    static Optional<String> k8sEnvValue(Workload workload, String variable, Path overlay, List<Manifest> manifests) {
        JsonNode entry = workload.env().get(variable);
        if (entry == null) {
            return Optional.empty();
        }
        if (entry.has("value")) {
            return Optional.of(entry.path("value").asText());
        }
        String configMap;
        String key;
        if (entry.path("valueFrom").has("configMapKeyRef")) {
            configMap = entry.path("valueFrom").path("configMapKeyRef").path("name").asText();
            key = entry.path("valueFrom").path("configMapKeyRef").path("key").asText();
        } else if (entry.has("configMapRef")) { // envFrom
            configMap = entry.path("configMapRef").path("name").asText();
            key = variable.substring(entry.path("prefix").asText("").length());
        } else {
            return Optional.empty();
        }
        List<Manifest> sources = new ArrayList<>(overlay == null ? List.of() : overlayPatches(overlay));
        sources.addAll(manifests);
        return sources.stream().filter(m -> m.kind().equals("ConfigMap") && m.name().equals(configMap)
                        && m.doc().path("data").has(key))
                .map(m -> m.doc().path("data").path(key).asText()).findFirst();
    }

    /** The Secrets a workload's container or pod reads: env, envFrom, secret and projected volumes. */
    static Set<String> k8sSecretsRead(Workload workload) {
        Set<String> secrets = new TreeSet<>();
        workload.container().path("env").forEach(e -> {
            if (e.path("valueFrom").has("secretKeyRef")) {
                secrets.add(e.path("valueFrom").path("secretKeyRef").path("name").asText());
            }
        });
        workload.container().path("envFrom").forEach(e -> {
            if (e.has("secretRef")) {
                secrets.add(e.path("secretRef").path("name").asText());
            }
        });
        for (JsonNode volume : workload.node().path("spec").path("template").path("spec").path("volumes")) {
            if (volume.has("secret")) {
                secrets.add(volume.path("secret").path("secretName").asText());
            }
            volume.path("projected").path("sources").forEach(source -> {
                if (source.has("secret")) {
                    secrets.add(source.path("secret").path("name").asText());
                }
            });
        }
        return secrets;
    }

    /** An overlay's KafkaUsers of the Strimzi cluster {@code cluster}, by name (= SCRAM principal). */
    static Map<String, Manifest> kafkaUsers(List<Manifest> manifests, String cluster) {
        Map<String, Manifest> users = new TreeMap<>();
        manifests.stream().filter(m -> m.kind().equals("KafkaUser")
                        && cluster.equals(m.doc().path("metadata").path("labels").path("strimzi.io/cluster").asText()))
                .forEach(m -> users.put(m.name(), m));
        return users;
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
    // Kafka ACLs
    // ---------------------------------------------------------------------------------------------

    /** One Kafka ACL binding (allow, any host): upper-case resource type, match and operation, as Kafka names them. */
    record Acl(String principal, String resource, String match, String name, String operation) {
        @Override
        public String toString() {
            return "User:" + principal + " " + operation + " on " + resource.toLowerCase().replace('_', '-') + " " + name
                    + (match.equals("PREFIXED") ? "*" : "");
        }
    }

    /** io.regent.events.KafkaAccess.GRANTS as the bindings Kafka stores (one per operation). */
    static Set<Acl> kafkaAccessAcls() {
        Set<Acl> acls = new LinkedHashSet<>();
        for (KafkaAccess.Grant grant : KafkaAccess.GRANTS) {
            grant.operations().forEach(operation -> acls.add(new Acl(grant.principal(), grant.resource().name(),
                    grant.match().name(), grant.name(), operation.name())));
        }
        return acls;
    }

    /** Where {@code applied} differs from KafkaAccess.GRANTS: a grant missing, or one too many. */
    static List<String> aclDifferences(String where, Collection<Acl> applied) {
        List<String> problems = new ArrayList<>();
        Set<Acl> expected = kafkaAccessAcls();
        Comparator<Acl> order = Comparator.comparing(Acl::toString);
        expected.stream().filter(acl -> !applied.contains(acl)).sorted(order).forEach(acl -> problems.add(where
                + " does not grant " + acl + " (io.regent.events.KafkaAccess.GRANTS does): the service would be refused"));
        new LinkedHashSet<>(applied).stream().filter(acl -> !expected.contains(acl)).sorted(order).forEach(acl -> problems.add(
                where + " grants " + acl + ", which io.regent.events.KafkaAccess.GRANTS does not: least privilege"));
        return problems;
    }

    /**
     * The ACLs the {@code acl PRINCIPAL OPTIONS...} lines of deploy/kafka/setup-acls.sh add, read the way
     * kafka-acls.sh --add reads its options (every resource times every operation; literal by default;
     * no --operation means All). Options this reading does not know are reported.
     */
    static List<Acl> scriptAcls(String where, String script, List<String> problems) {
        List<Acl> acls = new ArrayList<>();
        for (String line : script.replace("\\\n", " ").lines().map(String::trim).toList()) {
            if (!line.startsWith("acl ")) {
                continue;
            }
            String[] tokens = line.split("\\s+");
            List<String[]> resources = new ArrayList<>();
            List<String> operations = new ArrayList<>();
            String match = "LITERAL";
            for (int i = 2; i < tokens.length; i++) {
                String option = tokens[i];
                String value = i + 1 < tokens.length ? tokens[i + 1].replaceAll("^[\"']|[\"']$", "") : "";
                switch (option) {
                    case "--topic" -> resources.add(new String[] {"TOPIC", value});
                    case "--group" -> resources.add(new String[] {"GROUP", value});
                    case "--transactional-id" -> resources.add(new String[] {"TRANSACTIONAL_ID", value});
                    case "--resource-pattern-type" -> match = value.toUpperCase();
                    case "--operation" -> operations.add(value.toUpperCase());
                    default -> {
                        problems.add(where + ": `" + line + "` has option " + option + ", which this test does not "
                                + "read; grant with --topic/--group/--transactional-id, --resource-pattern-type, --operation");
                        if (value.startsWith("--") || value.isEmpty()) {
                            continue;
                        }
                    }
                }
                i++; // the option's value
            }
            if (operations.isEmpty()) {
                operations.add("ALL");
            }
            for (String[] resource : resources) {
                for (String operation : operations) {
                    acls.add(new Acl(tokens[1].replaceAll("^[\"']|[\"']$", ""), resource[0], match, resource[1], operation));
                }
            }
        }
        return acls;
    }

    /** The ACLs Strimzi's User Operator creates for KafkaUsers with authorization: {type: simple}. */
    static List<Acl> strimziAcls(Collection<Manifest> users, List<String> problems) {
        Map<String, String> types = Map.of("topic", "TOPIC", "group", "GROUP", "transactionalId", "TRANSACTIONAL_ID",
                "cluster", "CLUSTER");
        Map<String, String> patterns = Map.of("literal", "LITERAL", "prefix", "PREFIXED");
        List<Acl> acls = new ArrayList<>();
        for (Manifest user : users) {
            JsonNode authorization = user.doc().path("spec").path("authorization");
            if (authorization.isMissingNode()) {
                continue;
            }
            if (!"simple".equals(authorization.path("type").asText())) {
                problems.add(user + ": authorization type " + authorization.path("type").asText() + " - use simple");
                continue;
            }
            for (JsonNode rule : authorization.path("acls")) {
                JsonNode resource = rule.path("resource");
                String type = types.get(resource.path("type").asText());
                String match = patterns.get(resource.path("patternType").asText("literal"));
                if (type == null || match == null) {
                    problems.add(user + ": ACL resource " + resource + " is not understood (type topic, group or "
                            + "transactionalId; patternType literal or prefix)");
                }
                if (!"allow".equals(rule.path("type").asText("allow")) || !"*".equals(rule.path("host").asText("*"))) {
                    problems.add(user + ": ACL " + rule + " - grant with type allow from any host, as KafkaAccess does");
                }
                List<String> operations = new ArrayList<>();
                rule.path("operations").forEach(o -> operations.add(o.asText().toUpperCase()));
                if (rule.has("operation")) {
                    operations.add(rule.path("operation").asText().toUpperCase());
                }
                String name = resource.path("name").asText("CLUSTER".equals(type) ? "kafka-cluster" : "");
                for (String operation : operations) {
                    acls.add(new Acl(user.name(), String.valueOf(type), String.valueOf(match), name, operation));
                }
            }
        }
        return acls;
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

    /** {@code base} and more entries (name, reason, name, reason, ...). */
    private static Map<String, String> with(Map<String, String> base, String... more) {
        Map<String, String> all = new LinkedHashMap<>(base);
        for (int i = 0; i + 1 < more.length; i += 2) {
            all.put(more[i], more[i + 1]);
        }
        return Map.copyOf(all);
    }

    /** The documents of a YAML snippet as manifests (the checkers' own tests). */
    static List<Manifest> snippetManifests(String yaml) {
        return yamlDocuments(yaml).stream().map(doc -> new Manifest(ROOT.resolve("snippet.yaml"), doc)).toList();
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
        if (name.equals("node")) {
            return Optional.of("monitor-service"); // a database node with its monitor agent in node mode
        }
        return SERVICES.contains(name) ? Optional.of(name) : Optional.empty();
    }

    /** Whether this repository builds {@code image}: a service's, or one of deploy/images (e.g. regent/haproxy). */
    static boolean builtHere(String image) {
        if (imageModule(image).isPresent()) {
            return true;
        }
        String name = image.startsWith("regent/") ? image.substring("regent/".length()).replaceFirst("[:@].*$", "") : "";
        return !name.isEmpty() && Files.isRegularFile(ROOT.resolve("deploy/images").resolve(name).resolve("Dockerfile"));
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
