package io.regent.devstack.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.regent.client.RegentTopology;
import io.regent.events.TopologyChanged;
import io.regent.testkit.SystemPackages;
import io.regent.testkit.Testkit;
import io.regent.testkit.browser.Browser;
import io.regent.testkit.docker.DockerEngine;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.testcontainers.containers.DockerComposeContainer;

/**
 * docker-compose.yml as a user runs it: the images built by deploy/images/build.sh from a local Debian base,
 * the stack brought up by Testcontainers with the local docker-compose binary and every health check
 * awaited, the user signed in to the dashboard as the README says - and then, as the operator, through the
 * gateway's API: a switchover; {@code docker kill} of the leader's container (a failover, and the old leader
 * back as a follower through its node agent); the leader's container cut off the network for 20 s (a
 * failover, the old leader fenced, then rejoined); all the while a writer that follows the topology commits
 * synchronously and loses no acknowledged write. {@code down -v} leaves no container, volume or network.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeIT {

    private static final Path REPOSITORY = Path.of(System.getProperty("regent.it.repository", "..")).toAbsolutePath()
            .normalize();
    private static final Path WORK = REPOSITORY.resolve("devstack/target/compose-it");
    private static final Path SCREENSHOTS = REPOSITORY.resolve("devstack/target/screenshots");
    private static final String CLUSTER = "demo";
    private static final List<String> NODES = List.of("demo-1", "demo-2", "demo-3");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> timings = new ArrayList<>();

    private static DockerEngine engine;
    private static DockerComposeContainer<?> compose;
    private static String project;
    private static Map<String, String> env;
    private static String gateway;
    private static Browser browser;
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static Writer writer;

    @BeforeAll
    static void upFromTheImages() throws Exception {
        Testkit.deleteRecursively(WORK);
        Files.createDirectories(WORK);
        Files.createDirectories(SCREENSHOTS);
        long started = System.nanoTime();
        engine = DockerEngine.ensure();
        timings.add("docker engine " + engine.version() + (engine.startedHere() ? " started" : " found") + ": "
                + seconds(started) + " s");

        started = System.nanoTime();
        run(Duration.ofMinutes(30), WORK.resolve("build.log"), REPOSITORY.resolve("deploy/images/build.sh").toString());
        timings.add("images built: " + seconds(started) + " s");

        env = secrets();
        env.put("REGENT_MIN_FAILOVER_INTERVAL", "30s"); // two failovers a minute apart in one run
        // as the file's header says: the certificates into deploy/kafka/certs (an existing CA is kept), the
        // dashboard on localhost:8080 and Keycloak on localhost:8180
        SystemPackages.machine().ensure(SystemPackages.OPENSSL);
        run(Duration.ofMinutes(2), WORK.resolve("certs.log"), REPOSITORY.resolve("deploy/kafka/make-certs.sh").toString());
        gateway = "http://localhost:8080";

        removeLeftovers();
        String identifier = "regentit" + HexFormat.of().formatHex(random(3));
        started = System.nanoTime();
        compose = new DockerComposeContainer<>(identifier, new File(REPOSITORY.toFile(), "docker-compose.yml"))
                .withEnv(env).withPull(false).withBuild(false).withRemoveVolumes(true)
                .withStartupTimeout(Duration.ofMinutes(10));
        try {
            compose.start();
        } catch (RuntimeException e) {
            // Testcontainers' own log goes nowhere here (slf4j-nop): say which containers failed, keep their logs
            project = projectOf(identifier);
            if (project != null) {
                dump("ps-after-failed-up", List.of("docker-compose", "-p", project, "-f",
                        REPOSITORY.resolve("docker-compose.yml").toString(), "ps"));
            }
            throw new AssertionError("docker-compose up failed (" + e.getMessage() + "); the containers: "
                    + (project == null ? "none was created" : WORK.resolve("ps-after-failed-up.log") + " and, once "
                    + "the class ends, " + WORK.resolve("logs.log")) + (project == null ? "" : "\n"
                    + tail(WORK.resolve("ps-after-failed-up.log"))), e);
        }
        project = projectOf(identifier);
        if (project == null) {
            throw new AssertionError("no container of the compose project " + identifier + "*");
        }
        awaitHealthy(Duration.ofMinutes(10));
        timings.add("compose up to every health check passing and demo-setup done: " + seconds(started) + " s");
    }

    @AfterAll
    static void downLeavesNothing() throws Exception {
        if (writer != null) {
            writer.stop();
        }
        if (browser != null) {
            browser.close();
        }
        try {
            if (compose != null) {
                if (project != null) {
                    dump("logs", List.of("docker-compose", "-p", project, "-f",
                            REPOSITORY.resolve("docker-compose.yml").toString(), "logs", "--no-color", "--timestamps"));
                }
                compose.stop(); // docker-compose down -v
                assertThat(docker("ps", "-aq", "--filter", "label=com.docker.compose.project=" + project))
                        .as("containers left by down -v").isBlank();
                assertThat(docker("volume", "ls", "-q", "--filter", "label=com.docker.compose.project=" + project))
                        .as("volumes left by down -v").isBlank();
                assertThat(docker("network", "ls", "-q", "--filter", "label=com.docker.compose.project=" + project))
                        .as("networks left by down -v").isBlank();
            }
        } finally {
            if (engine != null) {
                engine.close();
            }
            timings.forEach(t -> System.out.println("ComposeIT " + t));
        }
    }

    @Test
    @Order(1)
    void theDashboardShowsTheClusterLedByDemo1WithEveryNodeStreaming() throws Exception {
        browser = Browser.chromium(SCREENSHOTS);
        browser.open(gateway + "/login");
        browser.signInOnKeycloak("demo-admin", env.get("REGENT_DEMO_ADMIN_PASSWORD"));
        browser.waitUntil(() -> browser.text(By.cssSelector("[data-test=user]")).startsWith("demo-admin"));
        await("a leader (demo-1 as registered) and the other two streaming from it", Duration.ofMinutes(3),
                () -> streamingUnder(leaderOrNull()));
        String leader = leader();
        if (!leader.equals("demo-1")) {
            // a machine saturated by the stack's start (2 cores, a dozen JVMs) can have demo-1's agent miss its
            // lease and fence it after automatic failover went on: allowed only as a recorded failover, and told
            assertThat(operations()).as("demo-1 is not the leader: only a failover on record may have replaced it")
                    .anySatisfy(op -> assertThat(op.get("kind").asText()).isEqualTo("FAILOVER"));
            timings.add("note: demo-1 was replaced while the stack started: " + operations().stream()
                    .filter(op -> op.get("kind").asText().equals("FAILOVER")).map(op -> op.path("reason").asText())
                    .findFirst().orElse(""));
        }
        browser.open(gateway + "/#/clusters/" + CLUSTER);
        browser.waitUntil(() -> browser.text(By.cssSelector("p [data-test=leader]")).equals(leader));
        browser.screenshot("compose-dashboard");
    }

    @Test
    @Order(2)
    void aSwitchoverHandsTheLeadToTheChosenNode() throws Exception {
        long epoch = topology().get("epoch").asLong();
        String from = leader();
        String to = NODES.stream().filter(n -> !n.equals(from)).findFirst().orElseThrow(); // demo-2 after demo-1
        HttpResponse<String> accepted = api("POST", "/api/v1/clusters/" + CLUSTER + "/switchover",
                "{\"candidate\":\"" + to + "\",\"expectedEpoch\":" + epoch + ",\"reason\":\"ComposeIT\"}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        long started = System.nanoTime();
        await(to + " leads and the other two stream from it", Duration.ofMinutes(2), () -> streamingUnder(to));
        timings.add("switchover to three streaming nodes again: " + seconds(started) + " s");
        // from here on the leader commits synchronously (ANY 1 of its standbys): the switchover opened the new leader for
        // writes with the synchronous standbys of the cluster's policy (demo-cluster.json: SYNC_ANY 1)
        assertThat(psqlIn(to, "SHOW synchronous_standby_names")).startsWith("ANY 1");
        writer = new Writer();
        writer.start();
        await("the writer commits on " + to, Duration.ofSeconds(60), () -> writer.acknowledged.get() > 20);
    }

    @Test
    @Order(3)
    void dockerKillOfTheLeaderFailsOverAndTheOldLeaderRejoinsThroughItsAgent() throws Exception {
        String old = leader();
        long started = System.nanoTime();
        docker("kill", container(old));
        await("another node leads", Duration.ofSeconds(60), () -> !old.equals(leaderOrNull()));
        timings.add("docker kill of " + old + " to a new leader in the topology: " + seconds(started) + " s");
        // docker kill counts as stopped by hand: no restart policy brings it back. Its host coming back up does
        docker("start", container(old));
        await(old + " rejoins: three streaming nodes", Duration.ofMinutes(3), () -> streamingUnder(leaderOrNull()));
        timings.add("docker kill of " + old + " to three streaming nodes: " + seconds(started) + " s");
        assertThat(operations()).as("the operations").anySatisfy(op -> {
            assertThat(op.get("kind").asText()).isEqualTo("FAILOVER");
            assertThat(op.get("status").asText()).isEqualTo("SUCCEEDED");
        });
        long before = writer.acknowledged.get();
        await("the writer commits on the new leader", Duration.ofSeconds(60),
                () -> writer.acknowledged.get() > before + 20);
    }

    @Test
    @Order(4)
    void aLeaderCutOffFor20SecondsIsReplacedFencedAndRejoins() throws Exception {
        String old = leader();
        String network = project + "_default";
        long failoversBefore = count("FAILOVER");
        long started = System.nanoTime();
        docker("network", "disconnect", network, container(old));
        try {
            try {
                await("another node leads", Duration.ofSeconds(60), () -> {
                    String now = leaderOrNull();
                    return now != null && !old.equals(now);
                });
            } catch (AssertionError e) {
                // the failover-service's threads into its log (SIGQUIT: a JVM thread dump), and what the agents
                // reported, for the reason why not
                docker("kill", "-s", "QUIT", container("failover"));
                String seen;
                try {
                    seen = api("GET", "/api/v1/clusters/" + CLUSTER + "/observations", null).body();
                } catch (Exception unreadable) {
                    seen = unreadable.toString();
                }
                throw new AssertionError(e.getMessage() + "\nobservations: " + seen + "\ntopology leader: "
                        + leaderOrNull(), e);
            }
            timings.add("partition of " + old + " to a new leader in the topology: " + seconds(started) + " s");
            long remaining = Duration.ofSeconds(20).toNanos() - (System.nanoTime() - started);
            if (remaining > 0) {
                TimeUnit.NANOSECONDS.sleep(remaining);
            }
            // cut off, its own agent could not renew the leader lease: it fenced its server (by SQL, or killed it)
            assertThat(writableOrDown(old)).as("the old leader after 20 s cut off").isNotEqualTo("writable");
        } finally {
            docker("network", "connect", "--alias", old, network, container(old));
        }
        long healed = System.nanoTime();
        await(old + " rejoins after the heal: three streaming nodes", Duration.ofMinutes(3),
                () -> streamingUnder(leaderOrNull()));
        timings.add("heal to three streaming nodes: " + seconds(healed) + " s");
        assertThat(count("FAILOVER")).isGreaterThan(failoversBefore);
    }

    @Test
    @Order(5)
    void noAcknowledgedWriteIsLost() throws Exception {
        writer.stop();
        String leader = leader();
        Set<Long> present = ConcurrentHashMap.newKeySet();
        try (Connection connection = connect(leader, "regent_it", env.get("REGENT_DEMO_POSTGRES_PASSWORD"));
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT id FROM writes")) {
            while (rows.next()) {
                present.add(rows.getLong(1));
            }
        }
        List<Long> lost = writer.acknowledgedIds.stream().filter(id -> !present.contains(id)).sorted().toList();
        timings.add("writer: " + writer.acknowledged.get() + " commits acknowledged, " + writer.failed.get()
                + " failed or unknown, " + lost.size() + " acknowledged and lost");
        assertThat(writer.acknowledged.get()).isGreaterThan(100);
        assertThat(lost).as("acknowledged writes missing on the leader " + leader).isEmpty();
    }

    /**
     * The router (HAProxy, deploy/compose/haproxy.cfg) on the host's 127.0.0.1:5000 and :5001, after the switchover
     * and both failovers: writes reach the current leader, reads a follower - by the checks each node's agent answers.
     */
    @Test
    @Order(7)
    void theRouterSendsWritesToTheLeaderAndReadsToAFollower() throws Exception {
        String password = env.get("REGENT_DEMO_POSTGRES_PASSWORD");
        String leader = leader();
        await("a write through 127.0.0.1:5000 committed on leader " + leader, Duration.ofSeconds(30), () -> {
            try (Connection connection = connectTo("127.0.0.1", 5000, "regent_it", password);
                 Statement statement = connection.createStatement()) {
                statement.executeUpdate("INSERT INTO writes (id) VALUES (-1) ON CONFLICT DO NOTHING");
                return serverAddress(statement).equals(address(leader));
            } catch (SQLException e) {
                return false;
            }
        });
        await("a read through 127.0.0.1:5001 on a follower", Duration.ofSeconds(30), () -> {
            try (Connection connection = connectTo("127.0.0.1", 5001, "regent_it", password);
                 Statement statement = connection.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT pg_is_in_recovery() FROM writes WHERE id = -1")) {
                return rs.next() && rs.getBoolean(1) && !serverAddress(statement).equals(address(leader));
            } catch (SQLException e) {
                return false;
            }
        });
    }

    private static String serverAddress(Statement statement) throws SQLException {
        try (ResultSet rs = statement.executeQuery("SELECT host(inet_server_addr())")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    @Order(6)
    void anApplicationOnTheHostFollowsTheTopologyThroughThePublishedKafkaListener() throws Exception {
        Map<String, Object> kafka = Map.of(
                "bootstrap.servers", "localhost:9092",
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"regent-app\" password=\"" + env.get("REGENT_KAFKA_APP_PASSWORD") + "\";",
                "ssl.truststore.type", "PEM",
                "ssl.truststore.location", REPOSITORY.resolve("deploy/kafka/certs/client/ca.crt").toString());
        JsonNode current = topology(); // the gateway's view; the application must reach the same epoch
        long started = System.nanoTime();
        try (RegentTopology topology = RegentTopology.fromKafka(kafka, "compose-it-host-app")) {
            // the topic is read from its beginning: older epochs (one led by the same node) may pass by first
            TopologyChanged seen = topology.await(CLUSTER, t -> t.epoch() == current.get("epoch").asLong(),
                    Duration.ofSeconds(60));
            assertThat(seen.leader()).isEqualTo(current.get("leader").asText());
        }
        timings.add("a host application's first topology over localhost:9092 (SASL_SSL, regent-app): "
                + seconds(started) + " s");
    }

    // --- the stack -------------------------------------------------------------------------------------

    private static Map<String, String> secrets() throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : Files.readAllLines(REPOSITORY.resolve(".env.example"))) {
            if (line.matches("^[A-Z_]+=$")) {
                String name = line.substring(0, line.length() - 1);
                values.put(name, name.equals("REGENT_REGISTRY_CREDENTIALS_KEY")
                        ? Base64.getEncoder().encodeToString(random(32)) : HexFormat.of().formatHex(random(24)));
            }
        }
        KeyPair commands = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        values.put("REGENT_COMMAND_SIGNING_KEY", Base64.getEncoder().encodeToString(commands.getPrivate().getEncoded()));
        values.put("REGENT_COMMAND_VERIFY_KEYS", Base64.getEncoder().encodeToString(commands.getPublic().getEncoded()));
        return values;
    }

    /** Every container healthy (or, for the one-shot ones, exited 0), and the demo cluster registered. */
    private static void awaitHealthy(Duration timeout) throws Exception {
        await("every container of " + project + " healthy", timeout, () -> {
            String states = docker("ps", "-a", "--filter", "label=com.docker.compose.project=" + project, "--format",
                    "{{.Names}} {{.Status}}");
            List<String> notReady = states.lines().filter(line -> !line.contains("(healthy)")
                    && !line.contains("Exited (0)")).toList();
            if (states.lines().anyMatch(line -> line.contains("Exited (") && !line.contains("Exited (0)"))) {
                throw new AssertionError("a container failed:\n" + states);
            }
            return !states.isBlank() && notReady.isEmpty() && states.contains("demo-setup")
                    && states.lines().anyMatch(line -> line.contains("demo-setup") && line.contains("Exited (0)"));
        });
    }

    private static String container(String service) {
        String id = docker("ps", "-aq", "--filter", "label=com.docker.compose.project=" + project, "--filter",
                "label=com.docker.compose.service=" + service).trim();
        assertThat(id).as("the container of " + service).isNotBlank();
        return id;
    }

    /** The node's address on the compose network, which this host reaches through the bridge. */
    private static String address(String node) {
        return docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container(node))
                .trim();
    }

    private static String psqlIn(String node, String sql) {
        return docker("exec", "-u", "postgres", container(node), "psql", "-XAtq", "-c", sql).trim();
    }

    /** "writable", "read-only" or "down", as the server inside the node's container answers. */
    private static String writableOrDown(String node) {
        try {
            return "off".equals(psqlIn(node, "SHOW default_transaction_read_only")) ? "writable" : "read-only";
        } catch (AssertionError e) {
            return "down";
        }
    }

    // --- the gateway, as the signed-in operator ---------------------------------------------------------

    private static HttpResponse<String> api(String method, String path, String body) throws Exception {
        String cookies = browser.driver().manage().getCookies().stream().map(c -> c.getName() + "=" + c.getValue())
                .collect(Collectors.joining("; "));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway + path)).timeout(Duration.ofSeconds(10))
                .header("Cookie", cookies).header("Accept", "application/json")
                .header("X-Requested-With", "JavaScript");
        request = body == null ? request.method(method, HttpRequest.BodyPublishers.noBody())
                : request.header("Content-Type", "application/json").method(method,
                        HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode get(String path) throws Exception {
        HttpResponse<String> response = api("GET", path, null);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static JsonNode topology() throws Exception {
        return get("/api/v1/clusters/" + CLUSTER + "/topology");
    }

    private static String leader() throws Exception {
        String leader = leaderOrNull();
        assertThat(leader).as("the leader").isNotNull();
        return leader;
    }

    private static String leaderOrNull() {
        try {
            JsonNode leader = topology().get("leader");
            return leader == null || leader.isNull() ? null : leader.asText();
        } catch (Exception | AssertionError e) {
            return null;
        }
    }

    private static List<JsonNode> operations() throws Exception {
        List<JsonNode> list = new ArrayList<>();
        get("/api/v1/clusters/" + CLUSTER + "/operations?size=50").get("items").forEach(list::add);
        return list;
    }

    private static long count(String kind) throws Exception {
        return operations().stream().filter(op -> kind.equals(op.get("kind").asText())).count();
    }

    /**
     * Whether {@code leader} leads at the registry, an agent saw it writable lately, and every other node was seen
     * lately by an agent as a follower streaming from it.
     */
    private static boolean streamingUnder(String leader) {
        if (leader == null || !leader.equals(leaderOrNull())) {
            return false;
        }
        try {
            JsonNode seen = get("/api/v1/clusters/" + CLUSTER + "/observations");
            Instant fresh = Instant.now().minusSeconds(10);
            for (String node : NODES) {
                boolean ok = false;
                for (JsonNode o : seen) {
                    if (!node.equals(o.get("node").asText()) || !o.get("reachable").asBoolean()
                            || Instant.parse(o.get("receivedAt").asText()).isBefore(fresh)) {
                        continue;
                    }
                    if (node.equals(leader)) {
                        ok |= "LEADER".equals(o.get("role").asText()) && !o.get("readOnly").asBoolean(true);
                    } else {
                        ok |= "FOLLOWER".equals(o.get("role").asText())
                                && "streaming".equals(o.path("walReceiverStatus").asText())
                                && o.path("upstream").asText().startsWith(leader + ":");
                    }
                }
                if (!ok) {
                    return false;
                }
            }
            return true;
        } catch (Exception | AssertionError e) {
            return false;
        }
    }

    // --- the writer ----------------------------------------------------------------------------------

    /**
     * Commits one row at a time to the leader the topology names (re-read after every failure), as a role
     * without superuser rights (fencing ends ordinary sessions only). A commit counts as acknowledged when
     * COMMIT returned; one that failed or timed out counts as unknown.
     */
    private static final class Writer {
        final AtomicLong acknowledged = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final Set<Long> acknowledgedIds = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private Thread thread;

        void start() throws Exception {
            String leader = leader();
            // a login without superuser rights, and the table it writes
            psqlIn(leader, "CREATE ROLE regent_it LOGIN PASSWORD '" + env.get("REGENT_DEMO_POSTGRES_PASSWORD") + "'");
            psqlIn(leader, "CREATE TABLE writes (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
            psqlIn(leader, "GRANT SELECT, INSERT ON writes TO regent_it");
            thread = new Thread(this::loop, "compose-it-writer");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            if (thread != null) {
                thread.join(30_000);
            }
        }

        private void loop() {
            long next = 1;
            Connection connection = null;
            while (running.get()) {
                try {
                    if (connection == null) {
                        String leader = leaderOrNull();
                        if (leader == null) {
                            Testkit.sleep(200);
                            continue;
                        }
                        connection = connect(leader, "regent_it", env.get("REGENT_DEMO_POSTGRES_PASSWORD"));
                    }
                    long id = next++;
                    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO writes (id) VALUES (?)")) {
                        insert.setLong(1, id);
                        insert.executeUpdate();
                    }
                    acknowledgedIds.add(id);
                    acknowledged.incrementAndGet();
                    Testkit.sleep(20);
                } catch (SQLException e) {
                    failed.incrementAndGet();
                    close(connection);
                    connection = null;
                    Testkit.sleep(200);
                }
            }
            close(connection);
        }

        private static void close(Connection connection) {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // it is being dropped anyway
                }
            }
        }
    }

    private static Connection connect(String node, String user, String password) throws SQLException {
        return connectTo(address(node), 5432, user, password);
    }

    private static Connection connectTo(String host, int port, String user, String password) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", "3");
        properties.setProperty("socketTimeout", "5");
        properties.setProperty("ApplicationName", "compose-it-writer");
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", properties);
    }

    // --- helpers --------------------------------------------------------------------------------------

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": not within " + timeout.toSeconds() + " s; containers:\n"
                        + docker("ps", "-a", "--filter", "label=com.docker.compose.project=" + project, "--format",
                                "{{.Names}} {{.Status}}") + diagnosis());
            }
            Thread.sleep(500);
        }
    }

    /**
     * What CI prints when a wait runs out (its workspace, with the compose logs, is gone afterwards): the cluster
     * as the gateway shows it - topology, each agent's newest observation, the last operations - and the warnings
     * of the failover-service and the node agents.
     */
    private static String diagnosis() {
        StringBuilder out = new StringBuilder();
        try {
            JsonNode topology = topology();
            out.append("\ntopology: epoch ").append(topology.path("epoch").asText()).append(", leader ")
                    .append(topology.path("leader").asText()).append(", nodes ");
            topology.path("nodes").forEach(n -> out.append(n.path("name").asText()).append('=')
                    .append(n.path("role").asText()).append(' '));
            out.append("\nobservations:");
            for (JsonNode o : get("/api/v1/clusters/" + CLUSTER + "/observations")) {
                out.append("\n  ").append(o.path("observerId").asText()).append(" -> ").append(o.path("node").asText())
                        .append(": reachable ").append(o.path("reachable").asText()).append(", ")
                        .append(o.path("role").asText()).append(", readOnly ").append(o.path("readOnly").asText())
                        .append(", wal receiver ").append(o.path("walReceiverStatus").asText()).append(" from ")
                        .append(o.path("upstream").asText()).append(", received ").append(o.path("receivedAt").asText())
                        .append(o.path("error").isTextual() ? ", " + o.path("error").asText() : "");
            }
            out.append("\noperations:");
            operations().stream().limit(8).forEach(o -> out.append("\n  ").append(o.path("kind").asText()).append(' ')
                    .append(o.path("status").asText()).append(' ').append(o.path("fromNode").asText()).append(" -> ")
                    .append(o.path("toNode").asText()).append(" (").append(o.path("startedAt").asText()).append("): ")
                    .append(o.path("reason").asText()).append(o.path("error").isTextual() ? " - " + o.path("error")
                            .asText() : ""));
        } catch (Exception | AssertionError e) {
            out.append("\n(the gateway did not tell the cluster's state: ").append(e.getMessage()).append(')');
        }
        for (String service : List.of("failover", "demo-1", "demo-2", "demo-3")) {
            try {
                String id = docker("ps", "-aq", "--filter", "label=com.docker.compose.project=" + project, "--filter",
                        "label=com.docker.compose.service=" + service).trim();
                List<String> lines = docker("logs", "--timestamps", id).lines()
                        .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("RejoinExecutor")
                                || l.contains("FailoverExecutor") || l.contains("boot:"))
                        .toList();
                out.append("\n").append(service).append(" (warnings, actions):");
                lines.subList(Math.max(0, lines.size() - 25), lines.size())
                        .forEach(l -> out.append("\n  ").append(l.length() > 400 ? l.substring(0, 400) : l));
            } catch (RuntimeException | AssertionError e) {
                out.append("\n(no log of ").append(service).append(": ").append(e.getMessage()).append(')');
            }
        }
        return out.toString();
    }

    /**
     * The containers, volumes and networks of an earlier run of this test that died before its {@code down -v}: the
     * engine keeps its data root (the image cache) between runs, and a node container's restart policy would bring
     * them back up beside this run's.
     */
    private static void removeLeftovers() {
        List<String> projects = docker("ps", "-a", "--format", "{{.Label \"com.docker.compose.project\"}}").lines()
                .filter(name -> name.startsWith("regentit")).distinct().toList();
        for (String old : projects) {
            String filter = "label=com.docker.compose.project=" + old;
            for (String[] kind : new String[][] {{"ps", "-aq"}, {"volume", "ls", "-q"}, {"network", "ls", "-q"}}) {
                List<String> list = new ArrayList<>(List.of(kind));
                list.addAll(List.of("--filter", filter));
                List<String> ids = docker(list.toArray(String[]::new)).lines().filter(id -> !id.isBlank()).toList();
                if (!ids.isEmpty()) {
                    List<String> remove = new ArrayList<>(kind[0].equals("ps") ? List.of("rm", "-f")
                            : List.of(kind[0], "rm"));
                    remove.addAll(ids);
                    docker(remove.toArray(String[]::new));
                }
            }
            System.out.println("ComposeIT removed what an earlier run left: compose project " + old);
        }
    }

    /** Testcontainers makes the project name from the identifier and a random suffix of its own; null: none. */
    private static String projectOf(String identifier) {
        return docker("ps", "-a", "--format", "{{.Label \"com.docker.compose.project\"}}").lines()
                .filter(name -> name.startsWith(identifier)).findFirst().orElse(null);
    }

    private static String docker(String... args) {
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not end within 2 min");
            }
            String text = new String(output, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed: " + text);
            }
            return text;
        } catch (IOException e) {
            throw new AssertionError(String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static void run(Duration timeout, Path log, String... command) throws Exception {
        Process process = new ProcessBuilder(command).directory(REPOSITORY.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not end within " + timeout + "; see " + log);
        }
        assertThat(process.exitValue()).as(String.join(" ", command) + " (see " + log + "):\n" + tail(log)).isZero();
    }

    private static void dump(String name, List<String> command) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(REPOSITORY.toFile()).redirectErrorStream(true)
                    .redirectOutput(WORK.resolve(name + ".log").toFile());
            builder.environment().putAll(env); // docker-compose checks every ${VAR:?} of the file, even for logs
            Process process = builder.start();
            process.waitFor(2, TimeUnit.MINUTES);
        } catch (IOException | InterruptedException e) {
            System.err.println("ComposeIT: could not save the containers' logs: " + e.getMessage());
        }
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private static byte[] random(int bytes) {
        byte[] value = new byte[bytes];
        new SecureRandom().nextBytes(value);
        return value;
    }

    private static long seconds(long startedNanos) {
        return Math.round((System.nanoTime() - startedNanos) / 1e9);
    }
}
