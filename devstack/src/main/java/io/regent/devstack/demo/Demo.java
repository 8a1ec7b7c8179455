package io.regent.devstack.demo;

import static io.regent.devstack.demo.DemoLayout.CLUSTER;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.events.KafkaAccess;
import io.regent.testkit.NetworkNamespace;
import io.regent.testkit.Testkit;
import io.regent.testkit.kafka.KafkaBroker;
import io.regent.testkit.keycloak.Keycloak;
import io.regent.testkit.postgres.Credentials;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ServiceSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The whole system on one machine, on loopback: Kafka, the registry's PostgreSQL, Keycloak with the
 * {@code regent} realm and three demo users, a three-node PostgreSQL cluster with a node agent next
 * to each node plus a remote agent, the registry, a failover-service and the gateway serving the
 * dashboard. The same servers the tests use (the testkit), kept in one home folder between runs.
 */
public final class Demo implements AutoCloseable {

    private static final Duration READY = Duration.ofSeconds(180);
    /**
     * Automatic failovers of a cluster are at least this far apart (anti-flapping; 5 min by
     * default): short in the demo, so that a second kill-leader a little later fails over too.
     */
    public static final Duration MIN_FAILOVER_INTERVAL = Duration.ofSeconds(20);
    private static final Duration HEALTHY = Duration.ofSeconds(120);

    private final Path repository;
    private final DemoLayout layout;
    private final Progress progress;
    private final DemoSecrets secrets;
    private final DemoApi api = new DemoApi();

    private Keycloak keycloak;
    private KafkaBroker kafka;
    private PostgresCluster registryDatabase;
    private PostgresCluster cluster;
    /** The registry's replicas (one in the demo, two in the fault campaign), behind HAProxy when several. */
    private final List<QuarkusService> registries = new CopyOnWriteArrayList<>();
    private io.regent.testkit.haproxy.LocalHaproxy registryFront;
    /** The failover-service instances (one consumer group): each cluster is owned by one of them. */
    private final List<QuarkusService> failovers = new CopyOnWriteArrayList<>();
    private QuarkusService gateway;
    private final List<QuarkusService> agents = new CopyOnWriteArrayList<>();
    /** With {@link Options#machines}: node name -> the network namespace its server and agent run in. */
    private final Map<String, NetworkNamespace> machines = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;
    /** Own threads: the common pool has one thread on a two-core machine, which would start one service at a time. */
    private final java.util.concurrent.ExecutorService starter = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "demo-start");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * What differs between the demo, the benchmark and the fault campaign.
     *
     * @param minFailoverInterval automatic failovers of the cluster at least this far apart (anti-flapping)
     * @param synchronous         the cluster commits only once a follower has the commit ({@code ANY 1})
     * @param failoverInstances   failover-service instances (1 or 2)
     * @param registryReplicas    registry replicas (1 or 2; two are reached through HAProxy)
     * @param machines            each node and its agent on a machine of its own - a network namespace, which a
     *                            partition can cut off ({@link #machineOf}); needs root
     */
    public record Options(Duration minFailoverInterval, boolean synchronous, int failoverInstances,
            int registryReplicas, boolean machines) {

        public static final Options DEMO = new Options(MIN_FAILOVER_INTERVAL, false);

        public Options(Duration minFailoverInterval, boolean synchronous) {
            this(minFailoverInterval, synchronous, 1, 1, false);
        }

        public Options {
            if (failoverInstances < 1 || failoverInstances > 2 || registryReplicas < 1 || registryReplicas > 2) {
                throw new IllegalArgumentException("one or two failover-services and registries, not "
                        + failoverInstances + " and " + registryReplicas);
            }
        }
    }

    private final Options options;

    private Demo(Path repository, DemoLayout layout, Progress progress, Options options) {
        this.options = options;
        this.repository = repository;
        this.layout = layout;
        this.progress = progress;
        this.secrets = DemoSecrets.loadOrCreate(layout.secrets());
    }

    /**
     * Starts everything and waits until the dashboard and the API answer and the demo cluster is
     * healthy. On failure everything started so far is stopped before the exception leaves.
     */
    public static Demo start(Path repository, DemoLayout layout, Progress progress) {
        return start(repository, layout, progress, Options.DEMO);
    }

    /** The same with other options (the benchmark's trials follow each other closely; the campaign commits synchronously). */
    public static Demo start(Path repository, DemoLayout layout, Progress progress, Options options) {
        Demo demo = new Demo(repository, layout, progress, options);
        // Ctrl-C: the testkit's shutdown hook closes this first (in order), then sweeps what is left
        Testkit.get().trackFirst(demo);
        try {
            demo.startAll();
            return demo;
        } catch (RuntimeException e) {
            demo.close();
            throw e;
        }
    }

    private void startAll() {
        boolean warm = java.nio.file.Files.exists(layout.home().resolve("pg-" + CLUSTER));
        progress.step((warm ? "reusing the data of the previous run" : "first run: building everything from scratch")
                + "; logs of every process in " + layout.logs());
        progress.step("Keycloak starting in the background (the slowest part, 20-40 s)");
        CompletableFuture<Keycloak> keycloakStart = CompletableFuture.supplyAsync(() -> Keycloak.start(
                DemoLayout.gateway().toString(), DemoLayout.KEYCLOAK, DemoLayout.KEYCLOAK_MANAGEMENT), starter);
        try {
            kafka = KafkaBroker.start(DemoLayout.KAFKA, DemoLayout.KAFKA_CONTROLLER);
            kafka.createRegentTopics();
            progress.step("Kafka broker (KRaft) at " + kafka.bootstrapServers());
            startRegistryDatabase();
            cluster = PostgresCluster.builder().name(CLUSTER).nodes(DemoLayout.NODES.size())
                    .replication(options.synchronous() ? io.regent.events.Replication.syncAny(1)
                            : io.regent.events.Replication.ASYNC)
                    .ports(DemoLayout.FIRST_NODE, DemoLayout.FIRST_NODE + 1, DemoLayout.FIRST_NODE + 2)
                    .passwords(secrets.get("demo.superuser"), secrets.get("demo.replication"))
                    .controlRole(new Credentials("regent", secrets.get("demo.control"))).start();
            progress.step("demo cluster: " + describe(cluster));
            if (options.machines()) {
                moveNodesToMachinesOfTheirOwn();
            }
        } finally {
            keycloak = join(keycloakStart);
        }
        for (String user : DemoSecrets.USERS) {
            keycloak.createUser(user, secrets.password(user), "regent-" + user);
        }
        progress.step("Keycloak at " + keycloak.url() + " (realm regent, users viewer, operator, admin)");
        startRegistries();
        progress.step("registry-service at " + registryUrl() + (registries.size() > 1 ? " (HAProxy in front of "
                + registries.size() + " replicas: " + registries.stream().map(r -> r.url().toString()).toList() + ")"
                : ""));
        registerCluster();
        startInParallel();
        awaitHealthy();
    }

    private void startRegistries() {
        registries.add(startRegistry("registry", DemoLayout.REGISTRY));
        if (options.registryReplicas() > 1) {
            registries.add(startRegistry("registry-2", DemoLayout.REGISTRY_REPLICA));
            registryFront = io.regent.testkit.haproxy.LocalHaproxy.start("registry", DemoLayout.REGISTRY_FRONT,
                    registries.stream().map(QuarkusService::url).toList());
        }
    }

    private QuarkusService startRegistry(String name, int port) {
        return QuarkusService.start(name, jar("registry-service"), port,
                ServiceSettings.registry(kafka.bootstrapServers(), registryDatabase.initialLeader().jdbcUrl("regent"),
                        keycloak.issuer(), null),
                ServiceSettings.kafkaIdentity(kafka, KafkaAccess.REGISTRY, Map.of("REGENT_REGISTRY_DB_PASSWORD",
                        secrets.get("registrydb.app"),
                        "REGENT_REGISTRY_CREDENTIALS_KEY", secrets.get("registry.credentials-key"))), READY);
    }

    /** Where the other services reach the registry: HAProxy when there are two replicas. */
    private URI registryUrl() {
        return registryFront != null ? registryFront.url() : registries.get(0).url();
    }

    private void startFailovers() {
        failovers.add(startFailover("failover-1", DemoLayout.FAILOVER));
        if (options.failoverInstances() > 1) {
            failovers.add(startFailover("failover-2", DemoLayout.FAILOVER_REPLICA));
        }
    }

    private QuarkusService startFailover(String instance, int port) {
        return QuarkusService.start(instance.equals("failover-1") ? "failover-service" : instance,
                jar("failover-service"), port, failoverSettings(instance, "regent"), identity("regent-failover",
                        Map.of("REGENT_NODE_PASSWORD", secrets.get("demo.control"),
                                "REGENT_COMMAND_VERIFY_KEYS", secrets.get("commands.verify-key"),
                                "REGENT_KNOWN_AGENTS", String.join(",", knownAgents()))), READY);
    }

    /** Stops the (first) registry (SIGTERM) and starts it again on the same port and database. */
    public void restartRegistry() {
        QuarkusService registry = registries.get(0);
        registry.close();
        registries.set(0, startRegistry(registry.name(), registry.port()));
    }

    /** SIGKILL of registry replica {@code index} (a crash), then a start again on the same port and database. */
    public void crashAndRestartRegistry(int index) {
        QuarkusService registry = registries.get(index);
        registry.kill();
        registries.set(index, startRegistry(registry.name(), registry.port()));
    }

    public List<QuarkusService> registries() {
        return List.copyOf(registries);
    }

    /** The failover-service instances, in start order. */
    public List<QuarkusService> failovers() {
        return List.copyOf(failovers);
    }

    /** The instance that owns {@code cluster} now, or null when none says so. */
    public QuarkusService failoverOwning(String cluster) {
        for (QuarkusService instance : failovers) {
            if (!instance.process().isAlive() || instance.process().isFrozen()) {
                continue;
            }
            DemoApi.Response owned = api.get(instance.url(), "/failover/v1/ownership", null);
            if (owned.status() == 200 && owned.body().contains("\"" + cluster + "\"")) {
                return instance;
            }
        }
        return null;
    }

    /** SIGKILL of the (first) failover-service: the crash case. */
    public void killFailover() {
        killFailover(failovers.get(0));
    }

    /** SIGKILL of {@code instance}: the crash case. */
    public void killFailover(QuarkusService instance) {
        instance.kill();
    }

    /** Starts the (first) failover-service again (after {@link #killFailover()}). */
    public void restartFailover() {
        restartFailover(failovers.get(0));
    }

    /** Starts {@code instance} again on its port (after {@link #killFailover(QuarkusService)}). */
    public void restartFailover(QuarkusService instance) {
        int index = failovers.indexOf(instance);
        instance.close();
        String name = index == 0 ? "failover-1" : "failover-" + (index + 1);
        failovers.set(index, startFailover(name, instance.port()));
    }

    public DemoLayout layout() {
        return layout;
    }

    public KafkaBroker kafka() {
        return kafka;
    }

    /** The monitor agents (node agents, then the remote one, in start order). */
    public List<QuarkusService> agents() {
        return List.copyOf(agents);
    }

    private void startRegistryDatabase() {
        registryDatabase = PostgresCluster.builder().name("registrydb").nodes(1).ports(DemoLayout.REGISTRY_DATABASE)
                .passwords(secrets.get("registrydb.superuser"), secrets.get("registrydb.replication")).start();
        PostgresNode db = registryDatabase.initialLeader();
        if (db.query("SELECT 1 FROM pg_database WHERE datname = 'regent'").isEmpty()) {
            db.execute("CREATE ROLE regent_app LOGIN PASSWORD '" + secrets.get("registrydb.app") + "'");
            db.execute("CREATE DATABASE regent OWNER regent_app");
        }
        progress.step("PostgreSQL of the registry at " + db.host() + ":" + db.port());
    }

    /**
     * The agents together, then the gateway and the failover-service together. The failover-service
     * comes last on purpose: while the agents' JVMs start, a two-core machine is so busy that their
     * first probes can time out, and a failover-service already watching would take that for a
     * dead leader.
     */
    private void startInParallel() {
        String control = "regent";
        List<CompletableFuture<?>> starts = new ArrayList<>();
        for (PostgresNode node : cluster.nodes()) {
            starts.add(CompletableFuture.runAsync(() -> agents.add(startNodeAgent(node, Map.of())), starter));
        }
        starts.add(CompletableFuture.runAsync(() -> agents.add(QuarkusService.start("remote-agent",
                jar("monitor-service"), DemoLayout.FIRST_AGENT + 3, ServiceSettings.agent("remote-agent",
                        "zone-remote", kafka.bootstrapServers(), registryUrl(), control),
                identity("regent-monitor", Map.of("REGENT_NODE_PASSWORD", secrets.get("demo.control"))), READY)),
                starter));
        starts.forEach(Demo::join);
        starts.clear();
        progress.step("monitor agents: one next to each node (ports " + DemoLayout.FIRST_AGENT + "-"
                + (DemoLayout.FIRST_AGENT + 2) + "), one remote (" + (DemoLayout.FIRST_AGENT + 3) + ")");
        starts.add(CompletableFuture.runAsync(this::startFailovers, starter));
        starts.add(CompletableFuture.runAsync(() -> gateway = QuarkusService.start("api-gateway",
                jar("api-gateway"), DemoLayout.GATEWAY, ServiceSettings.gateway("gateway-1", kafka.bootstrapServers(),
                        keycloak.issuer(), registryUrl()),
                // plain HTTP on loopback: the session cookie cannot be Secure here
                ServiceSettings.kafkaIdentity(kafka, KafkaAccess.GATEWAY, Map.of("REGENT_SECURE_COOKIES", "false",
                        "REGENT_SESSION_SECRET", secrets.get("gateway.session") + secrets.get("gateway.session"),
                        "REGENT_COMMAND_SIGNING_KEY", secrets.get("commands.signing-key"),
                        "REGENT_KNOWN_AGENTS", String.join(",", knownAgents()))),
                READY), starter));
        for (CompletableFuture<?> start : starts) {
            join(start);
        }
        progress.step("failover-service at " + failovers.stream().map(f -> f.url().toString()).toList()
                + ", api-gateway at " + gateway.url());
    }

    /**
     * Each server restarted in a network namespace of its own, with its port and its agent's exposed and the other
     * servers, Kafka, the registry and Keycloak reached across the namespace's link: a machine a partition can cut
     * off ({@link NetworkNamespace#cut}) without cutting the server from its agent.
     */
    private void moveNodesToMachinesOfTheirOwn() {
        for (PostgresNode node : cluster.nodes()) {
            NetworkNamespace machine = NetworkNamespace.create(node.name());
            machines.put(node.name(), machine);
            node.stop();
            machine.expose(node.port()).expose(agentPort(node));
            cluster.nodes().stream().filter(other -> other != node).forEach(other -> machine.reach(other.port()));
            machine.reach(DemoLayout.KAFKA).reach(DemoLayout.KEYCLOAK).reach(registryPortForAgents());
            node.startIn(machine);
        }
        progress.step("each node on a machine of its own: " + machines.values().stream().map(NetworkNamespace::name)
                .sorted().toList());
    }

    /** The port the agents reach the registry on: HAProxy's with two replicas, else the registry's. */
    private int registryPortForAgents() {
        return options.registryReplicas() > 1 ? DemoLayout.REGISTRY_FRONT : DemoLayout.REGISTRY;
    }

    private int agentPort(PostgresNode node) {
        return DemoLayout.FIRST_AGENT + cluster.nodes().indexOf(node);
    }

    /** The network namespace {@code node} and its agent run in ({@link Options#machines}). */
    public NetworkNamespace machineOf(String node) {
        NetworkNamespace machine = machines.get(node);
        if (machine == null) {
            throw new DemoException("node " + node + " has no machine of its own (Options.machines is off)");
        }
        return machine;
    }

    /** The node agent next to {@code node}, on its fixed port, with {@code environment} added (e.g. a skewed clock). */
    private QuarkusService startNodeAgent(PostgresNode node, Map<String, String> environment) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("REGENT_NODE_PASSWORD", secrets.get("demo.control"),
                "REGENT_REPLICATION_PASSWORD", secrets.get("demo.replication")));
        env.putAll(environment);
        Map<String, String> properties = ServiceSettings.nodeAgent(CLUSTER, node, "replicator",
                kafka.bootstrapServers(), registryUrl(), "regent", keycloak.issuer(), null);
        if (machines.containsKey(node.name())) {
            properties.put(QuarkusService.NETWORK_NAMESPACE, machines.get(node.name()).name());
        }
        return QuarkusService.start("node-agent-" + node.name(), jar("monitor-service"), agentPort(node), properties,
                identity("regent-monitor", env), READY);
    }

    /**
     * Stops the node agent of {@code nodeName} and starts it again with {@code environment} added (e.g. {@link
     * io.regent.testkit.SkewedClock#ahead}); an empty map starts it as the demo does.
     */
    public QuarkusService restartNodeAgent(String nodeName, Map<String, String> environment) {
        QuarkusService old = agents.stream().filter(a -> a.name().equals("node-agent-" + nodeName)).findFirst()
                .orElseThrow(() -> new DemoException("no node agent of " + nodeName));
        old.close();
        QuarkusService restarted = startNodeAgent(cluster.node(nodeName), environment);
        agents.set(agents.indexOf(old), restarted);
        return restarted;
    }

    private Map<String, String> failoverSettings(String instance, String control) {
        Map<String, String> properties = ServiceSettings.failover(instance, "regent-failover",
                kafka.bootstrapServers(), registryUrl(), control);
        properties.put("regent.failover.min-failover-interval", options.minFailoverInterval().toMillis() + "ms");
        return properties;
    }

    /** The ids of the demo's agents: one next to each node and the remote one; no other agent's observations count. */
    private List<String> knownAgents() {
        List<String> ids = new ArrayList<>(List.of("remote-agent"));
        cluster.nodes().forEach(node -> ids.add("node-agent-" + node.name()));
        return ids;
    }

    /** The service's identity towards Keycloak and towards Kafka (its own SCRAM principal). */
    private Map<String, String> identity(String client, Map<String, String> environment) {
        String principal = client.equals("regent-failover") ? KafkaAccess.FAILOVER : KafkaAccess.MONITOR;
        return ServiceSettings.kafkaIdentity(kafka, principal,
                ServiceSettings.identity(keycloak, client, null, environment));
    }

    /** Registers the demo cluster with demo-1 leading, unless a previous run did. */
    private void registerCluster() {
        String token = api.token("admin", secrets.password("admin"));
        DemoApi.Response existing = api.get(registryUrl(), "/api/v1/clusters/" + CLUSTER, token);
        if (existing.status() == 200) {
            progress.step("demo cluster already registered (leader "
                    + existing.json().path("leader").asText("?") + ")");
            return;
        }
        DemoApi.Response created = api.post(registryUrl(), "/api/v1/clusters", token,
                // a 3 s window: a laptop busy with other work should not see a false failover
                ServiceSettings.registration(cluster, "Demo cluster", Map.of("automatic", true, "autoRejoin", true,
                        "detectionWindowMillis", 3000)));
        if (created.status() != 201) {
            throw new DemoException("the registry refused the demo cluster: HTTP " + created.status() + " "
                    + created.body());
        }
        progress.step("demo cluster registered: demo-1 leads, demo-2 and demo-3 follow");
    }

    /** The dashboard and the API answer, one leader, every agent sees every node, followers stream. */
    private void awaitHealthy() {
        long deadline = System.nanoTime() + HEALTHY.toNanos();
        String state = "no answer yet";
        String token = api.token("viewer", secrets.password("viewer"));
        while (System.nanoTime() < deadline) {
            state = healthState(token);
            if (state == null) {
                progress.step("healthy: the dashboard and the API answer; " + leaderLine(token));
                return;
            }
            Testkit.sleep(500);
        }
        throw new DemoException("the demo did not become healthy within " + HEALTHY + ": " + state
                + "; the logs in " + layout.logs() + " say why");
    }

    /** Null when healthy, else what is missing. */
    private String healthState(String token) {
        URI base = DemoLayout.gateway();
        if (api.get(base, "/", null).status() != 200) {
            return "the dashboard does not answer";
        }
        DemoApi.Response topology = api.get(base, "/api/v1/clusters/" + CLUSTER + "/topology", token);
        if (topology.status() != 200) {
            return "the API answers HTTP " + topology.status() + " for the topology";
        }
        String leader = topology.json().path("leader").asText(null);
        if (leader == null) {
            return "the demo cluster has no leader";
        }
        JsonNode observations = api.get(base, "/api/v1/clusters/" + CLUSTER + "/observations", token).json();
        Set<String> observers = new HashSet<>();
        Set<String> streaming = new HashSet<>();
        for (JsonNode observation : observations) {
            observers.add(observation.path("observerId").asText());
            if (!observation.path("reachable").asBoolean()) {
                return observation.path("observerId").asText() + " cannot reach " + observation.path("node").asText();
            }
            if ("streaming".equals(observation.path("walReceiverStatus").asText())) {
                streaming.add(observation.path("node").asText());
            }
        }
        if (observers.size() < DemoLayout.NODES.size() + 1) {
            return observers.size() + " of " + (DemoLayout.NODES.size() + 1) + " agents reported so far";
        }
        List<String> notStreaming = DemoLayout.NODES.stream().filter(n -> !n.equals(leader) && !streaming.contains(n))
                .toList();
        return notStreaming.isEmpty() ? null : "not streaming from " + leader + " yet: " + notStreaming;
    }

    private String leaderLine(String token) {
        JsonNode topology = api.get(DemoLayout.gateway(), "/api/v1/clusters/" + CLUSTER + "/topology", token).json();
        return "demo cluster led by " + topology.path("leader").asText() + " at epoch " + topology.path("epoch").asLong()
                + ", the other nodes streaming, seen by " + (DemoLayout.NODES.size() + 1) + " agents";
    }

    /** The demo database cluster (the benchmarks kill its nodes). */
    public PostgresCluster cluster() {
        return cluster;
    }

    /** Kafka client settings of an application following the topology (principal {@code regent-app}). */
    public Map<String, Object> applicationKafkaConfig() {
        return kafka.clientConfig(KafkaAccess.APPLICATION);
    }

    public DemoSecrets secrets() {
        return secrets;
    }

    /** Null when everything is healthy, else what is not; {@code token}: a viewer's. */
    public String unhealthy(String token) {
        return healthState(token);
    }

    /** What to print once everything runs. */
    public String summary() {
        StringBuilder text = new StringBuilder();
        text.append("\nRegent is running (started in ").append(String.format("%.0f", progress.seconds())).append(" s).\n\n");
        text.append("  Dashboard   ").append(DemoLayout.gateway()).append("/   (sign in as one of the users below)\n");
        text.append("  API         ").append(DemoLayout.gateway()).append("/api/v1   (OpenAPI UI: /q/swagger-ui)\n");
        text.append("  Keycloak    ").append(DemoLayout.keycloak()).append("/   (realm regent)\n");
        text.append("  Users       ");
        for (String user : DemoSecrets.USERS) {
            text.append(user).append(" / ").append(secrets.password(user)).append("    ");
        }
        text.append("\n  Databases   demo-1..3 on 127.0.0.1:").append(DemoLayout.FIRST_NODE).append("-")
                .append(DemoLayout.FIRST_NODE + 2).append(" (passwords in ").append(layout.secrets()).append(")\n");
        text.append("  Logs        ").append(layout.logs()).append("\n\n");
        text.append("Try, in another terminal:\n");
        text.append("  ./regent demo kill-leader   kill -9 of the leader's server: watch the dashboard fail over\n");
        text.append("  ./regent ctl login --server ").append(DemoLayout.gateway())
                .append("   then ./regent ctl topology demo (docs/regentctl.md)\n");
        text.append("  ./regent demo stop          stop the demo (or press Ctrl-C here)\n");
        return text.toString();
    }

    private Path jar(String module) {
        return repository.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
    }

    private static String describe(PostgresCluster cluster) {
        List<String> nodes = cluster.nodes().stream().map(n -> n.name() + " (127.0.0.1:" + n.port()
                + (n.isRunning() ? "" : ", down until Regent rejoins it") + ")").toList();
        return String.join(", ", nodes);
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Stops everything in the order that keeps the cluster calm: the failover-service first, Keycloak last. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        progress.step("stopping...");
        failovers.forEach(Demo::closeQuietly);
        stop(() -> gateway);
        List<CompletableFuture<Void>> stops = agents.stream().map(a -> CompletableFuture.runAsync(() ->
                closeQuietly(a), starter)).toList();
        stops.forEach(CompletableFuture::join);
        registries.forEach(Demo::closeQuietly);
        stop(() -> registryFront);
        stop(() -> cluster);
        machines.values().forEach(Demo::closeQuietly); // after the servers in them
        stop(() -> registryDatabase);
        stop(() -> kafka);
        stop(() -> keycloak);
        Testkit.get().untrack(this);
        starter.shutdown();
        progress.step("stopped; the data stays in " + layout.home() + " for the next run (--fresh starts over)");
    }

    private static void stop(Supplier<AutoCloseable> component) {
        closeQuietly(component.get());
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable != null) {
            try {
                closeable.close();
            } catch (Exception e) {
                // the testkit's sweep stops what is left of it
            }
        }
    }
}
