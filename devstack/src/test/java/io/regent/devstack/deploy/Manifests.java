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
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * What the deployment checks share. They check the deployment files - {@code docker-compose.yml} (+ {@code
 * .env.example}, {@code deploy/compose/}), {@code k8s/} and the services' {@code Dockerfile.jvm} - against what
 * the services actually read: the {@code ${REGENT_*}} references of each service's {@code application.properties},
 * Quarkus' HTTP port and health endpoints, the clients and placeholders of {@code keycloak/regent-realm.json}, the
 * topics of {@link Topics}, and who may do what on Kafka ({@link io.regent.events.KafkaAccess}: SASL_SSL, one
 * principal per service, the ACLs {@code deploy/kafka/} and the Strimzi {@code KafkaUser}s apply), and who may make
 * the failover-service act ({@link io.regent.events.kafka.CommandSignature}: only the gateways hold the command
 * signing key, the failover-services its public half, and the known agents are exactly the agents the same
 * deployment runs). By subject: {@link ServiceDeploymentTest}, {@link ComposeManifestsTest},
 * {@link KubernetesManifestsTest}, {@link CommandSigningAndAgentsTest}, {@link KafkaDeploymentTest}.
 *
 * <p>Here: the files read as data, their models, and the problem finders the checks call. Every check collects all
 * its problems and fails with one line per problem saying where it is and what to change. Nothing here runs a
 * container.
 */
final class Manifests {

    private Manifests() {
    }

    /** Every Regent service's workload, in docker-compose.yml and k8s/base (a parameter source). */
    static Stream<Workload> regentWorkloads() {
        return Stream.concat(composeWorkloads(compose()).stream(), k8sWorkloads().stream());
    }

    /** Regent's services, by module name (a parameter source). */
    static Stream<Named<String>> services() {
        return SERVICES.stream().map(module -> Named.of(module, module));
    }

    /** Regent's topics (a parameter source). */
    static Stream<Named<TopicSpec>> topics() {
        return Topics.ALL.stream().map(topic -> Named.of(topic.name(), topic));
    }


    static final ObjectMapper JSON = new ObjectMapper();
    static final Path ROOT = repositoryRoot();

    /** The modules that are deployed as services (each with a Dockerfile and application.properties). */
    static final List<String> SERVICES =
            List.of("registry-service", "monitor-service", "failover-service", "api-gateway");

    static final int HTTP_PORT = 8080; // Quarkus' default; no service overrides quarkus.http.port
    static final String READY = "/q/health/ready";
    static final String LIVE = "/q/health/live";
    static final String STARTED = "/q/health/started";
    static final String DOCKERFILE = "src/main/docker/Dockerfile.jvm";
    static final String REALM_FILE = "keycloak/regent-realm.json";
    static final String REALM_IMPORT_PATH = "/opt/keycloak/data/import/regent-realm.json";

    /**
     * Variables a service needs in any container deployment although application.properties gives them
     * a default (an empty one, or one that only makes sense in tests). Variables without a default, and
     * those whose default points at the container itself (127.0.0.1, localhost), are needed as well.
     */
    static final Map<String, Map<String, String>> NEEDED = Map.of(
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
    static final Map<String, String> FORBIDDEN = Map.of(
            "REGENT_SERVICE_TOKEN",
            "a static token for development and self-contained tests; deployments authenticate each service "
                    + "with its Keycloak client (REGENT_OIDC_CLIENT_ENABLED/_ID/_SECRET)");

    /** What the regent role on the database nodes is granted (DESIGN.md, least privilege). */
    static final List<String> CONTROL_ROLE_GRANTS = List.of("pg_monitor", "pg_signal_backend",
            "pg_checkpoint", "pg_promote(boolean, integer)", "pg_reload_conf()",
            "pg_logical_emit_message(boolean, text, text)", "primary_conninfo", "synchronous_standby_names",
            "default_transaction_read_only");

    /** Deployments that promise a PodDisruptionBudget (all of them). */
    static final List<String> PDB_PROMISED = SERVICES;

    /** The principal each service logs in to Kafka as (io.regent.events.KafkaAccess). */
    static final Map<String, String> KAFKA_PRINCIPALS = Map.of(
            "registry-service", KafkaAccess.REGISTRY,
            "monitor-service", KafkaAccess.MONITOR,
            "failover-service", KafkaAccess.FAILOVER,
            "api-gateway", KafkaAccess.GATEWAY);
    /** The controller listener's only user (deploy/kafka/kafka-start.sh): the second and last super user. */
    static final String KAFKA_CONTROLLER = "regent-controller";
    static final String STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
    static final String KAFKA_DIR = "deploy/kafka";
    static final String KAFKA_START = KAFKA_DIR + "/kafka-start.sh";
    static final String SETUP_USERS = KAFKA_DIR + "/setup-users.sh";
    static final String SETUP_ACLS = KAFKA_DIR + "/setup-acls.sh";
    /** What deploy/kafka/make-certs.sh writes: the broker's PEM key store and the CA clients trust. */
    static final Path KAFKA_KEYSTORE = ROOT.resolve(KAFKA_DIR + "/certs/broker/keystore.pem");
    static final Path KAFKA_CLIENT_CA = ROOT.resolve(KAFKA_DIR + "/certs/client/ca.crt");
    /** A principal's password Secret is this prefix + the principal (Strimzi's User Operator secretPrefix). */
    static final String KAFKA_SECRET_PREFIX = "kafka-";

    /** Operator commands: the gateways sign them, the failover-service acts only on those it verifies. */
    static final String SIGNING_KEY = "REGENT_COMMAND_SIGNING_KEY";
    static final String VERIFY_KEYS = "REGENT_COMMAND_VERIFY_KEYS";
    /** The monitor agents whose observations the failover-service (and the gateway's routing checks) take. */
    static final String KNOWN_AGENTS = "REGENT_KNOWN_AGENTS";
    /** The Secret and key the gateways read the signing key from on Kubernetes; nothing else may read it. */
    static final String SIGNING_SECRET = "regent-command-signing";
    static final String SIGNING_SECRET_KEY = "signing-key";
    /** Prints the key pair as the two .env lines. */
    static final String MAKE_COMMAND_KEYS = "deploy/make-command-keys.sh";
    /**
     * What runs a Regent service on Kubernetes: Deployments, and a StatefulSet for the agents, whose ids (the pod
     * names) must be stable to be listed in REGENT_KNOWN_AGENTS.
     */
    static final Set<String> WORKLOAD_KINDS = Set.of("Deployment", "StatefulSet");

    static final Pattern ENV_REFERENCE =
            Pattern.compile("\\$\\{(REGENT_[A-Z0-9_]+)(:([^}]*))?}");
    static final Pattern COMPOSE_VARIABLE = Pattern.compile("(?<!\\$)\\$\\{([A-Za-z_][A-Za-z0-9_]*)");
    static final Pattern WHOLE_REFERENCE =
            Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])[^}]*)?}");
    static final Pattern REALM_PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+)}");

    static final Map<String, ServiceConfig> CONFIGS = SERVICES.stream()
            .collect(Collectors.toMap(m -> m, ServiceConfig::load, (a, b) -> a, LinkedHashMap::new));


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

    static List<Manifest> base;

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

    static JsonNode realm;

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

    static Map<String, String> serviceIdentity(String nodeRole) {
        return Map.of(
                "REGENT_NODE_PASSWORD", nodeRole + " (the password's default is empty)",
                "REGENT_OIDC_CLIENT_ENABLED", "without \"true\" the service has no token for the registry",
                "REGENT_OIDC_URL", "the realm the service's client obtains its tokens from (the default is empty)",
                "REGENT_OIDC_CLIENT_SECRET", "the secret of the service's confidential Keycloak client");
    }

    /** {@code base} and more entries (name, reason, name, reason, ...). */
    static Map<String, String> with(Map<String, String> base, String... more) {
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
