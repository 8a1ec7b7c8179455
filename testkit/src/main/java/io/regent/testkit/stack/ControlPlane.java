package io.regent.testkit.stack;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.regent.events.EventCodec;
import io.regent.events.EventEnvelope;
import io.regent.events.KafkaAccess;
import io.regent.events.NodeObserved;
import io.regent.events.OperationUpdated;
import io.regent.events.RegentEvent;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.events.kafka.CommandSignature;
import io.regent.events.kafka.RegentEventSerializer;
import io.regent.testkit.NetworkNamespace;
import io.regent.testkit.Testkit;
import io.regent.testkit.TestkitException;
import io.regent.testkit.kafka.KafkaBroker;
import io.regent.testkit.kafka.TopicReader;
import io.regent.testkit.keycloak.Keycloak;
import io.regent.testkit.mariadb.MariaDbCluster;
import io.regent.testkit.postgres.Credentials;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.security.TestTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The whole control plane as separate processes, as it runs in production: a Kafka broker, the
 * registry (packaged, on its own PostgreSQL), monitor agents, and failover-service instances
 * started per test. Every database cluster under test uses the same control-role credentials so
 * that one set of agents watches them all. The packaged services are found through the system
 * properties {@code regent.it.registry-jar}, {@code regent.it.monitor-jar} and
 * {@code regent.it.failover-jar} (a module's failsafe configuration sets them).
 */
public final class ControlPlane implements AutoCloseable {

    public static final Credentials CONTROL_ROLE = new Credentials("regent", "control-"
            + Testkit.randomSecret());
    /** Long-lived: an integration run takes longer than a usual token lives. */
    public static final String SERVICE_TOKEN = TestTokens.sign("service-account-regent-failover", List.of("regent-service"),
            Instant.now().plus(Duration.ofHours(3)));
    public static final String ADMIN_TOKEN = TestTokens.sign("alice-admin", List.of("regent-admin"),
            Instant.now().plus(Duration.ofHours(3)));
    public static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private static final Duration READY = Duration.ofSeconds(90);

    public final KafkaBroker kafka;
    private final PostgresCluster registryDatabase;
    /** How the registry is started: the same again after a crash, or beside it as a second replica. */
    private record RegistryRecipe(Map<String, String> properties, Map<String, String> environment) {
    }

    private final RegistryRecipe registryRecipe;
    /** The registry's replicas, all on one database and one broker; more than one means a load balancer in front. */
    private final List<QuarkusService> registries = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** HAProxy in front of the replicas when there are several, as a Kubernetes Service would be; else null. */
    private final io.regent.testkit.haproxy.LocalHaproxy registryFront;
    public final List<QuarkusService> agents = new ArrayList<>();
    private final List<QuarkusService> started = new ArrayList<>();
    // HTTP/1.1: an h2c upgrade through HAProxy becomes a tunnel pinned to one registry replica - a frozen one
    // then answers nothing on it, whatever HAProxy's health checks say
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** Where identities come from: null for tokens signed by the testkit's key, else this realm. */
    private final Keycloak keycloak;
    /** The gateways sign accepted commands with the private half; the failover-services verify with the public. */
    private final String[] commandKeys = CommandSignature.newKeyPair();
    private final String adminPassword = Testkit.randomSecret();

    private ControlPlane(KafkaBroker kafka, PostgresCluster registryDatabase, List<QuarkusService> registries,
            io.regent.testkit.haproxy.LocalHaproxy registryFront, RegistryRecipe registryRecipe, Keycloak keycloak) {
        this.registryRecipe = registryRecipe;
        this.registryFront = registryFront;
        this.kafka = kafka;
        this.registryDatabase = registryDatabase;
        this.registries.addAll(registries);
        this.keycloak = keycloak;
        if (keycloak != null) {
            keycloak.createUser("plane-admin", adminPassword, "regent-admin");
        }
    }

    public static ControlPlane start(int agentCount) {
        return start(agentCount, Map.of());
    }

    /** @param registryProperties extra system properties of the registry (e.g. to switch its outbox off) */
    public static ControlPlane start(int agentCount, Map<String, String> registryProperties) {
        return start(agentCount, registryProperties, null);
    }

    /**
     * The control plane with production identities: the registry verifies tokens of {@code keycloak}'s
     * realm, and agents and failover-service instances get theirs from it with their confidential
     * clients' secrets (client credentials), as deployed.
     */
    public static ControlPlane start(int agentCount, Keycloak keycloak) {
        return start(agentCount, Map.of(), keycloak);
    }

    /**
     * The control plane with {@code registryReplicas} registry instances on one database, behind
     * HAProxy (round robin per request) when there are several: every other service reaches them at one
     * address, so any call may land on any replica.
     */
    public static ControlPlane start(int agentCount, int registryReplicas) {
        return start(agentCount, Map.of(), null, registryReplicas);
    }

    private static ControlPlane start(int agentCount, Map<String, String> registryProperties, Keycloak keycloak) {
        return start(agentCount, registryProperties, keycloak, 1);
    }

    private static ControlPlane start(int agentCount, Map<String, String> registryProperties, Keycloak keycloak,
            int registryReplicas) {
        KafkaBroker kafka = KafkaBroker.start();
        PostgresCluster database = null;
        List<QuarkusService> registries = new ArrayList<>();
        io.regent.testkit.haproxy.LocalHaproxy front = null;
        try {
            kafka.createRegentTopics();
            database = PostgresCluster.builder().name("registrydb").nodes(1).start();
            PostgresNode db = database.initialLeader();
            String password = Testkit.randomSecret();
            db.execute("CREATE ROLE regent_app LOGIN PASSWORD '" + password + "'");
            db.execute("CREATE DATABASE regent OWNER regent_app");
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Map<String, String> properties = ServiceSettings.registry(kafka.bootstrapServers(), db.jdbcUrl("regent"),
                    keycloak == null ? null : keycloak.issuer(), TestTokens.PUBLIC_KEY);
            properties.putAll(registryProperties);
            Map<String, String> environment = ServiceSettings.kafkaIdentity(kafka, KafkaAccess.REGISTRY, Map.of(
                    "REGENT_REGISTRY_DB_PASSWORD", password,
                    "REGENT_REGISTRY_CREDENTIALS_KEY", Base64.getEncoder().encodeToString(key)));
            RegistryRecipe recipe = new RegistryRecipe(properties, environment);
            for (int i = 1; i <= registryReplicas; i++) {
                registries.add(startRegistry(recipe, registryReplicas == 1 ? "registry" : "registry-" + i,
                        io.regent.testkit.FreePorts.next()));
            }
            if (registryReplicas > 1) {
                front = io.regent.testkit.haproxy.LocalHaproxy.start("registry", registries.stream()
                        .map(QuarkusService::url).toList());
            }
            ControlPlane plane = new ControlPlane(kafka, database, registries, front, recipe, keycloak);
            for (int i = 1; i <= agentCount; i++) {
                plane.startAgent("agent-" + i, "zone-" + i);
            }
            return plane;
        } catch (RuntimeException e) {
            closeQuietly(front);
            registries.forEach(ControlPlane::closeQuietly);
            closeQuietly(database);
            closeQuietly(kafka);
            throw e;
        }
    }

    /** A registry replica; a debugger can stop it at an exact point ({@link io.regent.testkit.jvm.Debugger}). */
    private static QuarkusService startRegistry(RegistryRecipe recipe, String name, int port) {
        Map<String, String> properties = new java.util.HashMap<>(recipe.properties());
        properties.put(QuarkusService.DEBUG_PORT, Integer.toString(io.regent.testkit.FreePorts.next()));
        return QuarkusService.start(name, jar("registry"), port, properties, recipe.environment(), READY);
    }

    /** The (first) registry replica as it runs now (a new process after {@link #restartRegistry}). */
    public QuarkusService registry() {
        return registries.get(0);
    }

    /** Every registry replica. */
    public List<QuarkusService> registries() {
        return List.copyOf(registries);
    }

    /** Where the other services reach the registry: its load balancer when there are several replicas. */
    public URI registryUrl() {
        return registryFront != null ? registryFront.url() : registries.get(0).url();
    }

    /** Kills the (first) registry replica and starts it again: see {@link #restartRegistry(QuarkusService)}. */
    public QuarkusService restartRegistry() {
        return restartRegistry(registry());
    }

    /**
     * Kills {@code replica} (SIGKILL: a crash) and starts it again on the same port with the same database
     * and settings, as an orchestrator would; waits until it is ready. Everyone reaches it at the same URL.
     */
    public QuarkusService restartRegistry(QuarkusService replica) {
        int index = registries.indexOf(replica);
        if (index < 0) {
            throw new TestkitException(replica + " is not a registry replica of this control plane");
        }
        replica.kill();
        QuarkusService restarted = startRegistry(registryRecipe, replica.name(), replica.port());
        registries.set(index, restarted);
        return restarted;
    }

    /** A monitor agent that loads the registry over REST with the service token, then follows the topic. */
    public QuarkusService startAgent(String id, String zone) {
        return startAgent(id, zone, Map.of());
    }

    /** The same with extra environment variables (e.g. {@link io.regent.testkit.SkewedClock#ahead}). */
    public QuarkusService startAgent(String id, String zone, Map<String, String> environment) {
        Map<String, String> env = new java.util.HashMap<>(environment);
        env.put("REGENT_NODE_PASSWORD", CONTROL_ROLE.password());
        QuarkusService agent = QuarkusService.start(id, jar("monitor"), ServiceSettings.agent(id, zone,
                kafka.bootstrapServers(), registryUrl(), CONTROL_ROLE.user()), identity("regent-monitor", env), READY);
        agents.add(agent);
        return agent;
    }

    /** The service's identity towards Keycloak (or the static token) and towards Kafka (its own SCRAM principal). */
    private Map<String, String> identity(String clientId, Map<String, String> environment) {
        String principal = switch (clientId) {
            case "regent-monitor" -> KafkaAccess.MONITOR;
            case "regent-failover" -> KafkaAccess.FAILOVER;
            default -> throw new IllegalArgumentException("no Kafka principal for " + clientId);
        };
        return ServiceSettings.kafkaIdentity(kafka, principal,
                ServiceSettings.identity(keycloak, clientId, SERVICE_TOKEN, environment));
    }

    /** A token with the {@code regent-service} role, as the services hold. */
    public String serviceToken() {
        return keycloak == null ? SERVICE_TOKEN : keycloak.serviceToken("regent-failover");
    }

    /** A token with the {@code regent-admin} role. */
    public String adminToken() {
        return keycloak == null ? ADMIN_TOKEN : keycloak.userToken("plane-admin", adminPassword);
    }

    /**
     * A monitor agent in node mode next to {@code node}: it probes every node like any agent, and
     * also stops, starts, rewinds and rebuilds {@code node} when the failover-service asks (only with
     * the service token). It runs as root here and the PostgreSQL tools as the servers' OS user.
     */
    public QuarkusService startNodeAgent(PostgresCluster cluster, PostgresNode node) {
        return startNodeAgent(cluster, node, Map.of());
    }

    /** The same with {@code extra} system properties (e.g. {@link QuarkusService#DEBUG_PORT}). */
    public QuarkusService startNodeAgent(PostgresCluster cluster, PostgresNode node, Map<String, String> extra) {
        return startNodeAgent(cluster, node, io.regent.testkit.FreePorts.next(), extra);
    }

    private QuarkusService startNodeAgent(PostgresCluster cluster, PostgresNode node, int port,
            Map<String, String> extra) {
        Map<String, String> properties = ServiceSettings.nodeAgent(cluster.name(), node,
                cluster.replicationUser().user(), kafka.bootstrapServers(), registryUrl(), CONTROL_ROLE.user(),
                keycloak == null ? null : keycloak.issuer(), TestTokens.PUBLIC_KEY);
        properties.putAll(extra);
        QuarkusService agent = QuarkusService.start("node-agent-" + node.name(), jar("monitor"), port, properties,
                identity("regent-monitor", Map.of("REGENT_NODE_PASSWORD", CONTROL_ROLE.password(),
                        "REGENT_REPLICATION_PASSWORD", cluster.replicationUser().password())), READY);
        agents.add(agent);
        return agent;
    }

    /**
     * The node agent of {@code node} inside {@code namespace}, as on a machine of its own: its HTTP port is
     * exposed, and it reaches Kafka, the registry, Keycloak (if any) and the cluster's other servers across the
     * namespace's link - so a {@link NetworkNamespace#cut cut} isolates it from all of them but not from a server
     * started in the same namespace.
     */
    public QuarkusService startNodeAgentIn(NetworkNamespace namespace, PostgresCluster cluster, PostgresNode node) {
        return startNodeAgentIn(namespace, cluster, node, Map.of());
    }

    /** The same with {@code extra} system properties. */
    public QuarkusService startNodeAgentIn(NetworkNamespace namespace, PostgresCluster cluster, PostgresNode node,
            Map<String, String> extra) {
        int port = io.regent.testkit.FreePorts.next();
        namespace.expose(port);
        for (String server : kafka.bootstrapServers().split(",")) {
            namespace.reach(Integer.parseInt(server.substring(server.lastIndexOf(':') + 1)));
        }
        namespace.reach(registryUrl().getPort());
        if (keycloak != null) {
            namespace.reach(URI.create(keycloak.issuer()).getPort());
        }
        cluster.nodes().stream().filter(other -> other != node).forEach(other -> namespace.reach(other.port()));
        Map<String, String> properties = new HashMap<>(extra);
        properties.put(QuarkusService.NETWORK_NAMESPACE, namespace.name());
        return startNodeAgent(cluster, node, port, properties);
    }

    /**
     * The api-gateway on {@code port} (the port of the dashboard URL Keycloak was started with),
     * verifying tokens of {@code issuer} (normally the plane's Keycloak), on this plane's Kafka and
     * registry; plain-HTTP session cookies (loopback only). The caller closes it.
     */
    public QuarkusService startGateway(String name, int port, String issuer) {
        return startGateway(name, port, issuer, registryUrl());
    }

    /** The same with the registry at {@code registryUrl} (e.g. nowhere, to see the gateway without it). */
    public QuarkusService startGateway(String name, int port, String issuer, URI registryUrl) {
        return startGateway(name, port, issuer, registryUrl, Map.of());
    }

    /** The same with {@code extra} system properties. */
    public QuarkusService startGateway(String name, int port, String issuer, URI registryUrl,
            Map<String, String> extra) {
        Map<String, String> properties = ServiceSettings.gateway(name, kafka.bootstrapServers(), issuer, registryUrl);
        properties.putAll(extra);
        return QuarkusService.start(name, jar("gateway"), port, properties, ServiceSettings.kafkaIdentity(kafka, KafkaAccess.GATEWAY,
                        Map.of("REGENT_SECURE_COOKIES", "false",
                                "REGENT_SESSION_SECRET", Testkit.randomSecret() + Testkit.randomSecret(),
                                "REGENT_COMMAND_SIGNING_KEY", commandKeys[0])), READY);
    }

    /** A failover-service instance in its own consumer group (one group per test keeps tests apart). */
    public QuarkusService startFailover(String instance, String group, Map<String, String> extra) {
        return startFailover(instance, group, extra, CONTROL_ROLE, Map.of());
    }

    /** The same, listening for a debugger ({@link io.regent.testkit.jvm.Debugger}) to stop it at an exact point. */
    public QuarkusService startDebuggableFailover(String instance, String group, Map<String, String> extra) {
        Map<String, String> properties = new java.util.HashMap<>(extra);
        properties.put(QuarkusService.DEBUG_PORT, Integer.toString(io.regent.testkit.FreePorts.next()));
        return startFailover(instance, group, properties, CONTROL_ROLE, Map.of());
    }

    /**
     * One acting on the nodes as {@code nodeUser} (a MariaDB cluster's action user, say), with
     * {@code secrets} in its environment (e.g. {@code REGENT_MARIADB_REPLICATION_PASSWORD}).
     */
    public QuarkusService startFailover(String instance, String group, Map<String, String> extra,
            Credentials nodeUser, Map<String, String> secrets) {
        // the failover principal may join only groups named regent-failover...
        String consumerGroup = group.startsWith("regent-failover") ? group : "regent-failover-" + group;
        Map<String, String> properties = ServiceSettings.failover(instance, consumerGroup, kafka.bootstrapServers(),
                registryUrl(), nodeUser.user());
        properties.putAll(extra);
        Map<String, String> environment = new java.util.HashMap<>(secrets);
        environment.put("REGENT_NODE_PASSWORD", nodeUser.password());
        environment.put("REGENT_COMMAND_VERIFY_KEYS", commandKeys[1]);
        // every agent id counts unless the test names them (regent.failover.agents.known): Kafka's ACLs still
        // keep anyone but an agent off the node-health topic
        environment.put("REGENT_KNOWN_AGENTS", "*");
        QuarkusService service = QuarkusService.start(instance, jar("failover"), properties, identity(
                "regent-failover", environment), READY);
        started.add(service);
        return service;
    }

    /**
     * Registers a testkit cluster: node 1 leads, the policy has the registry's defaults plus
     * {@code policy}. Closing the result removes it from the registry - do that before stopping the
     * database servers, or the instances still running would see a dead cluster.
     */
    public AutoCloseable register(PostgresCluster cluster, Map<String, Object> policy) {
        return register(cluster.name(), ServiceSettings.registration(cluster, cluster.name(), policy));
    }

    /**
     * The same with the cluster's own database login, which the registry stores encrypted and the services fetch
     * (instead of their default login).
     */
    public AutoCloseable register(PostgresCluster cluster, Map<String, Object> policy, Credentials login) {
        Map<String, Object> body = new LinkedHashMap<>(ServiceSettings.registration(cluster, cluster.name(), policy));
        body.put("credentials", Map.of("username", login.user(), "password", login.password()));
        return register(cluster.name(), body);
    }

    /** Stores a new login for a registered cluster (a rotated password): the services use it within their refresh. */
    public void storeLogin(String cluster, Credentials login) {
        call("PUT", "/api/v1/clusters/" + cluster, Map.of("displayName", cluster, "credentials", Map.of("username",
                login.user(), "password", login.password())), adminToken(), 200);
    }

    /** The same for a MariaDB cluster; its monitoring user must be {@link #CONTROL_ROLE}, the agents' login. */
    public AutoCloseable register(MariaDbCluster cluster, Map<String, Object> policy) {
        return register(cluster.name(), ServiceSettings.registration(cluster, cluster.name(), policy));
    }

    private AutoCloseable register(String cluster, Map<String, Object> body) {
        call("POST", "/api/v1/clusters", body, adminToken(), 201);
        return () -> {
            call("PUT", "/api/v1/clusters/" + cluster + "/maintenance", Map.of("enabled", true, "reason",
                    "test over"), adminToken(), 200);
            call("DELETE", "/api/v1/clusters/" + cluster, null, adminToken(), 204);
        };
    }

    /** Registers {@code node} with a registered cluster, as an operator adding read capacity would. */
    public void addNode(String cluster, PostgresNode node) {
        call("POST", "/api/v1/clusters/" + cluster + "/nodes", Map.of("name", node.name(), "host", node.host(),
                "port", node.port(), "zone", "zone-" + node.name()), adminToken(), 201);
    }

    /**
     * The cluster's topology as the registry's database holds it: with several replicas, a replica's memory
     * follows the topic and may be an outbox lag behind the commit a test just saw.
     */
    public TopologyChanged topology(String cluster) {
        return read(call("GET", "/api/v1/clusters/" + cluster + "/topology?consistent=true", null, serviceToken(), 200),
                TopologyChanged.class);
    }

    public List<OperationUpdated> operations(String cluster) {
        JsonNode page = read(call("GET", "/api/v1/clusters/" + cluster + "/operations?size=100", null,
                serviceToken(), 200), JsonNode.class);
        List<OperationUpdated> operations = new ArrayList<>();
        page.get("items").forEach(item -> operations.add(JSON.convertValue(item, OperationUpdated.class)));
        return operations;
    }

    /** Every topology snapshot of the cluster on the topic, in order. */
    public List<TopologyChanged> topologyEvents(String cluster) {
        List<TopologyChanged> events = new ArrayList<>();
        for (ConsumerRecord<String, EventEnvelope> record : TopicReader.readAll(kafka,
                Topics.TOPOLOGY.name(), cluster)) {
            if (record.value() != null) {
                events.add(record.value().data(TopologyChanged.class));
            }
        }
        return events;
    }

    /**
     * Publishes a command to the commands topic, keyed by its cluster, as a gateway does: signed for its
     * requester with the operator role.
     */
    public void send(String cluster, RegentEvent command) {
        Map<String, Object> props = new HashMap<>(kafka.clientConfig(KafkaAccess.GATEWAY));
        props.put("acks", "all");
        byte[] value = new EventCodec(URI.create("/regent/it")).encode(command);
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.COMMANDS.name(), cluster, value);
        CommandSignature.sign(CommandSignature.privateKey(commandKeys[0]), Topics.COMMANDS.name(), cluster, value,
                requester(command), "regent-operator", Instant.now(), record.headers());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(record).get();
        } catch (Exception e) {
            throw new TestkitException("cannot send " + command + ": " + e.getMessage(), e);
        }
    }

    private static String requester(RegentEvent command) {
        if (command instanceof io.regent.events.SwitchoverRequested request) {
            return request.requestedBy();
        } else if (command instanceof io.regent.events.FailoverRequested request) {
            return request.requestedBy();
        } else if (command instanceof io.regent.events.MaintenanceChanged request) {
            return request.requestedBy();
        } else if (command instanceof io.regent.events.RejoinRequested request) {
            return request.requestedBy();
        }
        throw new IllegalArgumentException(command + " is not a command");
    }

    /** Publishes {@code event} to {@code topic} with a plain producer (e.g. a stale record a consumer must ignore). */
    public void publish(String topic, String key, RegentEvent event) {
        Map<String, Object> props = new HashMap<>(kafka.clientConfig(KafkaAccess.ADMIN));
        props.put("acks", "all");
        try (KafkaProducer<String, RegentEvent> producer = new KafkaProducer<>(props, new StringSerializer(),
                new RegentEventSerializer(URI.create("/regent/it")))) {
            producer.send(new ProducerRecord<>(topic, key, event)).get();
        } catch (Exception e) {
            throw new TestkitException("cannot publish " + event + ": " + e.getMessage(), e);
        }
    }

    /** Publishes bytes no Regent version wrote (a consumer must skip them and go on). */
    public void publishRaw(String topic, String key, byte[] value) {
        publishRaw(KafkaAccess.ADMIN, topic, key, value);
    }

    /** The same as Kafka principal {@code principal} (e.g. a compromised agent's, allowed to write node health). */
    public void publishRaw(String principal, String topic, String key, byte[] value) {
        Map<String, Object> props = new HashMap<>(kafka.clientConfig(principal));
        props.put("acks", "all");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get();
        } catch (Exception e) {
            throw new TestkitException("cannot publish to " + topic + ": " + e.getMessage(), e);
        }
    }

    /** Whether every agent's newest observation of {@code node} says it is reachable. */
    public boolean seenReachableByAll(String cluster, String node) {
        Map<String, NodeObserved> newest = new HashMap<>();
        for (var record : TopicReader.readAll(kafka, Topics.NODE_HEALTH.name(), cluster)) {
            if (record.value() != null) {
                NodeObserved observed = record.value().data(NodeObserved.class);
                if (observed.node().equals(node)) {
                    newest.merge(observed.observerId(), observed,
                            (a, b) -> b.observedAt().isAfter(a.observedAt()) ? b : a);
                }
            }
        }
        return !newest.isEmpty() && newest.values().stream().allMatch(NodeObserved::reachable);
    }

    public long nodeHealthObservers(String cluster) {
        return TopicReader.readAll(kafka, Topics.NODE_HEALTH.name(), cluster).stream()
                .filter(r -> r.value() != null).map(r -> r.value().data(NodeObserved.class).observerId())
                .distinct().count();
    }

    /** Which failover-service instance owns which clusters. */
    public List<String> ownedBy(QuarkusService failover) {
        JsonNode ownership = read(call(failover.url(), "GET", "/failover/v1/ownership", null, null, 200),
                JsonNode.class);
        List<String> clusters = new ArrayList<>();
        ownership.get("clusters").forEach(c -> clusters.add(c.asText()));
        return clusters;
    }

    private String call(String method, String path, Object body, String token, int expected) {
        return call(registryUrl(), method, path, body, token, expected);
    }

    /** A call to the registry through its load balancer with the service identity; the body when {@code expected}. */
    public String registryCall(String method, String path, Object body, int expected) {
        return call(method, path, body, serviceToken(), expected);
    }

    /** The same as the admin. */
    public String registryAdminCall(String method, String path, Object body, int expected) {
        return call(method, path, body, adminToken(), expected);
    }

    private String call(URI base, String method, String path, Object body, String token, int expected) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10))
                    .header("Accept", "application/json");
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            if (body != null) {
                request.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            } else {
                request.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != expected) {
                throw new TestkitException(method + " " + path + " -> " + response.statusCode() + ": " + response.body());
            }
            return response.body();
        } catch (java.io.IOException e) {
            throw new TestkitException(method + " " + path + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted", e);
        }
    }

    private static <T> T read(String json, Class<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (java.io.IOException e) {
            throw new TestkitException("unreadable response " + json, e);
        }
    }

    private static Path jar(String service) {
        String path = System.getProperty("regent.it." + service + "-jar");
        if (path == null) {
            throw new TestkitException("system property regent.it." + service + "-jar is not set (run through failsafe)");
        }
        return Path.of(path);
    }

    /** Stops the failover-service instances a test started (the shared services keep running). */
    public void stopFailoverInstances() {
        for (QuarkusService service : started) {
            // what the instance decided and did, for whoever reads a failed run
            System.out.println("---- " + service.name() + " (decisions and actions) ----");
            service.process().logTail(400).lines().filter(line -> line.contains("cluster ") || line.contains("ERROR"))
                    .forEach(System.out::println);
        }
        for (QuarkusService service : started) {
            service.process().thaw(); // a test that froze one and failed
            closeQuietly(service);
        }
        started.clear();
    }

    @Override
    public void close() {
        stopFailoverInstances();
        agents.forEach(ControlPlane::closeQuietly);
        closeQuietly(registryFront);
        registries.forEach(ControlPlane::closeQuietly);
        closeQuietly(registryDatabase);
        closeQuietly(kafka);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (Exception e) {
                // best effort: the testkit's reaper kills what is left
            }
        }
    }

    public static Map<String, Object> policy(Object... keyValues) {
        Map<String, Object> policy = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            policy.put((String) keyValues[i], keyValues[i + 1]);
        }
        return policy;
    }
}
