package io.regent.gateway.it;

import static io.regent.testkit.stack.ControlPlane.CONTROL_ROLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.testkit.FreePorts;
import io.regent.testkit.Testkit;
import io.regent.testkit.haproxy.LocalHaproxy;
import io.regent.testkit.postgres.Credentials;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ControlPlane;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Debian's HAProxy routes database traffic by the checks each node's own agent answers ({@code /leader},
 * {@code /follower}), as docs/haproxy.cfg shows: writes reach the leader and reads the followers, the writes follow a
 * kill -9 failover within the check interval + 1 s, and with Kafka, the gateway and the failover-service stopped
 * HAProxy keeps routing for 60 s - the control plane is not in the data path.
 */
class RoutingIT {

    @RegisterExtension
    static final SharedStack.Use STACK = new SharedStack.Use();

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** HAProxy's check interval in this test and in docs/haproxy.cfg. */
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

    @Test
    void haproxyRoutesByTheNodeAgentsChecksFollowsAFailoverAndKeepsRoutingWithTheControlPlaneDown() throws Exception {
        // a plane of its own: this test stops its Kafka (the gateway verifies tokens of the shared Keycloak)
        List<AutoCloseable> started = new ArrayList<>(); // newest first: closed in that order
        try {
            ControlPlane plane = ControlPlane.start(0);
            started.add(0, plane);
            PostgresCluster pg = PostgresCluster.builder().name("lb").nodes(3).controlRole(CONTROL_ROLE).start();
            started.add(0, pg);
            pg.initialLeader().execute("CREATE TABLE routed (id serial PRIMARY KEY, note text)");
            List<QuarkusService> agents = new ArrayList<>();
            for (PostgresNode node : pg.nodes()) {
                QuarkusService agent = plane.startNodeAgent(pg, node);
                agents.add(agent);
                started.add(0, agent);
            }
            QuarkusService gateway = plane.startGateway("gateway-lb", FreePorts.next(), STACK.get().keycloak.issuer());
            started.add(0, gateway);
            QuarkusService failover = plane.startFailover("failover-lb", "group-lb", Map.of());
            started.add(0, failover);
            started.add(0, plane.register(pg, Map.of()));
            await().atMost(Duration.ofSeconds(30)).until(() -> plane.ownedBy(failover).contains("lb"));

            int writes = FreePorts.next();
            int reads = FreePorts.next();
            LocalHaproxy haproxy = LocalHaproxy.startWithConfig("lb", config(pg, agents, writes, reads), writes);
            started.add(0, haproxy);
            Credentials login = pg.superuser();
            PostgresNode leader = pg.initialLeader();

            // steady state: writes on the leader, reads spread over both followers
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> write(writes, login, "steady") == leader.port());
            Set<Integer> readers = new HashSet<>();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .until(() -> {
                        readers.add(readOnFollower(reads, login));
                        return readers.size() == 2;
                    });
            assertThat(readers).as("both followers serve reads, the leader none").doesNotContain(leader.port());
            // the agents' own answers, for a person reading HAProxy's checks
            assertThat(get(agents.get(1).url().resolve("/leader"))).startsWith("503 lb-2 is not the leader of lb");
            assertThat(get(agents.get(0).url().resolve("/follower?max-lag-transactions=5")))
                    .startsWith("400 max-lag-transactions does not apply to PostgreSQL");

            // kill -9: the writes follow the failover within the check interval + 1 s of its announcement
            Testkit.sleep(2_000); // a few probes of every agent see the followers streaming
            leader.kill();
            String promoted = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> plane.topology("lb").leader(), name -> !name.equals(leader.name()));
            long announced = System.nanoTime();
            PostgresNode newLeader = pg.node(promoted);
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                    .until(() -> write(writes, login, "after failover") == newLeader.port());
            Duration followed = Duration.ofNanos(System.nanoTime() - announced);
            System.out.printf("HAProxy sent writes to %s %d ms after the failover was announced%n", promoted,
                    followed.toMillis());
            haproxy.logTail(300).lines().filter(line -> line.contains("Health check") || line.contains(" is DOWN")
                    || line.contains(" is UP")).forEach(System.out::println);
            assertThat(followed).as("writes follow within the check interval + 1 s")
                    .isLessThanOrEqualTo(CHECK_INTERVAL.plusSeconds(1));
            // the killed leader comes back as a follower (the failover-service's rejoin): reads reach it again
            Set<Integer> after = new HashSet<>();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .until(() -> {
                        after.add(readOnFollower(reads, login));
                        return after.size() == 2;
                    });
            assertThat(after).as("reads on both followers, the new leader none").doesNotContain(newLeader.port());

            metricsOfEveryService(plane, agents, failover, gateway, leader.name(), promoted);

            // the control plane goes away: Kafka, the gateway and the failover-service stopped
            failover.close();
            gateway.close();
            plane.kafka.stop();
            long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int rounds = 0;
            List<String> failures = new ArrayList<>();
            while (System.nanoTime() < end) {
                try {
                    int wrote = write(writes, login, "control plane down");
                    if (wrote != newLeader.port()) {
                        failures.add("a write reached port " + wrote);
                    }
                    readOnFollower(reads, login); // on a server in recovery, or it throws
                } catch (SQLException e) {
                    failures.add(e.getMessage());
                }
                rounds++;
                Testkit.sleep(250);
            }
            System.out.printf("control plane down for 60 s: %d write+read rounds, %d failed%n", rounds,
                    failures.size());
            assertThat(failures).as("HAProxy kept routing with Kafka, the gateway and the failover-service stopped; "
                    + "its log:\n" + haproxy.logTail(40)).isEmpty();
            assertThat(rounds).isGreaterThan(100);
            long committed = ((Number) newLeader.queryValue(
                    "SELECT count(*) FROM routed WHERE note = 'control plane down'")).longValue();
            assertThat(committed).as("every write of the outage is on the leader").isEqualTo(rounds);
        } finally {
            for (AutoCloseable closeable : started) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    System.err.println("closing " + closeable + " failed: " + e);
                }
            }
        }
    }

    /**
     * Every service of the running stack, scraped after the failover: the metrics an operator graphs are there with
     * their labels, and the failover moved the per-cluster counter and the phase histograms.
     */
    private static void metricsOfEveryService(ControlPlane plane, List<QuarkusService> agents, QuarkusService failover,
            QuarkusService gateway, String killed, String promoted) throws Exception {
        get(gateway.url().resolve("/route/lb/" + promoted + "/leader")); // one request the gateway counts
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> value(scrape(failover), "regent_cluster_epoch", "cluster=\"lb\"") == 1.0);
        String decider = scrape(failover);
        assertThat(value(decider, "regent_failover_operations_total", "cluster=\"lb\"", "kind=\"FAILOVER\"",
                "outcome=\"SUCCEEDED\"")).as("the per-cluster failover counter").isEqualTo(1.0);
        for (String phase : List.of("decided", "fenced", "promoted", "repointed", "announced")) {
            assertThat(value(decider, "regent_failover_phase_seconds_count", "kind=\"FAILOVER\"",
                    "phase=\"" + phase + "\"")).as("phase histogram " + phase).isGreaterThanOrEqualTo(1.0);
        }
        assertThat(value(decider, "regent_failover_operation_seconds_count", "kind=\"FAILOVER\"",
                "outcome=\"SUCCEEDED\"")).isGreaterThanOrEqualTo(1.0);
        assertThat(value(decider, "regent_cluster_leader", "cluster=\"lb\"", "node=\"" + promoted + "\""))
                .isEqualTo(1.0);
        for (String cluster : List.of("regent_cluster_healthy_followers", "regent_cluster_observers",
                "regent_cluster_maintenance", "regent_cluster_operation_running",
                "regent_cluster_last_failover_timestamp_seconds")) {
            value(decider, cluster, "cluster=\"lb\"");
        }
        assertThat(value(decider, "regent_node_role", "cluster=\"lb\"", "node=\"" + promoted + "\"",
                "role=\"LEADER\"")).isEqualTo(1.0);
        assertThat(value(decider, "regent_node_reachable", "cluster=\"lb\"", "node=\"" + promoted + "\""))
                .isEqualTo(1.0);
        assertThat(value(decider, "regent_node_timeline", "cluster=\"lb\"", "node=\"" + promoted + "\""))
                .isEqualTo(2.0);
        value(decider, "regent_node_wal_position_bytes", "cluster=\"lb\"", "node=\"" + promoted + "\"");
        for (String follower : List.of("regent_node_lag_bytes", "regent_node_lag_seconds", "regent_node_streaming")) {
            value(decider, follower, "cluster=\"lb\"");
        }
        String agent = scrape(agents.get(pgIndex(promoted)));
        value(agent, "regent_probe_latency_seconds", "quantile=\"0.5\"");
        value(agent, "regent_probe_duration_seconds_count", "cluster=\"lb\"", "node=\"" + promoted + "\"");
        assertThat(value(agent, "regent_probe_errors_total", "kind=\"REFUSED\"")).as("the killed leader's refusals")
                .isGreaterThanOrEqualTo(1.0);
        value(agent, "regent_observations_published_total");
        assertThat(value(agent, "regent_leader_lease_renewals_total", "outcome=\"GRANTED\""))
                .as("the new leader's agent holds its lease").isGreaterThanOrEqualTo(1.0);
        assertThat(value(scrape(gateway), "http_server_requests_seconds_count",
                "uri=\"/route/{cluster}/{node}/leader\"")).as("the gateway's request metrics")
                .isGreaterThanOrEqualTo(1.0);
        // every consumer says how far behind its topics it reads (0 once caught up; NaN before its first fetch)
        value(decider, "regent_kafka_consumer_lag_records", "consumer=\"health-and-commands\"");
        value(decider, "regent_kafka_consumer_lag_records", "consumer=\"topology\"");
        value(agent, "regent_kafka_consumer_lag_records", "consumer=\"topology\"");
        String gatewayMetrics = scrape(gateway);
        value(gatewayMetrics, "regent_kafka_consumer_lag_records", "consumer=\"health-and-operations\"");
        value(gatewayMetrics, "regent_kafka_consumer_lag_records", "consumer=\"topology\"");
        String registry = scrape(plane.registry());
        value(registry, "regent_kafka_consumer_lag_records", "consumer=\"topology\"");
        assertThat(value(registry, "regent_outbox_published")).as("events the registry's relay published")
                .isGreaterThanOrEqualTo(1.0);
        value(registry, "regent_outbox_backlog");
        everyMetricTheKitQueriesIsScraped(String.join("\n", decider, agent, gatewayMetrics, registry,
                scrape(agents.get(pgIndex(killed)))));
        System.out.println("metrics after the failover of " + killed + ": every service scraped");
    }

    /** Series only a MariaDB cluster has: MariaDbFailoverIT finds them in its failover-service's scrape. */
    private static final Set<String> MARIADB_ONLY = Set.of("regent_node_lag_transactions");

    /**
     * Every metric the shipped Grafana dashboard and alert rules query is in the scrape of the running stack (a
     * renamed metric would leave a panel empty and an alert silent, and nothing else would say so).
     */
    private static void everyMetricTheKitQueriesIsScraped(String scrapes) throws Exception {
        Set<String> queried = new java.util.TreeSet<>();
        com.fasterxml.jackson.databind.JsonNode dashboard = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(Files.readString(Path.of("..", "deploy", "grafana", "regent-dashboard.json")));
        List<String> expressions = new ArrayList<>();
        dashboard.findValues("expr").forEach(expr -> expressions.add(expr.asText()));
        dashboard.findValues("query").stream().filter(com.fasterxml.jackson.databind.JsonNode::isTextual)
                .forEach(query -> expressions.add(query.asText()));
        assertThat(expressions).as("the dashboard's queries").hasSizeGreaterThan(20);
        Files.readAllLines(Path.of("..", "deploy", "prometheus", "regent-alerts.yml")).stream()
                .filter(line -> !line.strip().startsWith("#")).forEach(expressions::add);
        Matcher name = Pattern.compile("\\bregent_[a-z0-9_]+").matcher(String.join("\n", expressions));
        while (name.find()) {
            queried.add(name.group());
        }
        assertThat(queried).as("metrics queried by the dashboard and the alerts").hasSizeGreaterThan(20);
        Set<String> scraped = new HashSet<>();
        scrapes.lines().filter(line -> line.startsWith("regent_"))
                .forEach(line -> scraped.add(line.split("[{ ]", 2)[0]));
        List<String> missing = queried.stream().filter(metric -> !scraped.contains(metric))
                .filter(metric -> !MARIADB_ONLY.contains(metric)).toList();
        assertThat(missing).as("queried by deploy/grafana/regent-dashboard.json or deploy/prometheus/regent-alerts.yml "
                + "and in no scrape of the running stack").isEmpty();
        System.out.printf("the dashboard and the alert rules query %d metrics, each scraped%n", queried.size());
    }

    private static int pgIndex(String node) {
        return Integer.parseInt(node.substring(node.lastIndexOf('-') + 1)) - 1;
    }

    private static String scrape(QuarkusService service) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(service.url().resolve("/q/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(service.name() + " /q/metrics").isEqualTo(200);
        return response.body();
    }

    /** The summed value of the series of {@code name} whose labels contain every one of {@code labels}; fails if none. */
    private static double value(String scrape, String name, String... labels) {
        List<String> series = scrape.lines().filter(line -> !line.startsWith("#"))
                .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                .filter(line -> java.util.Arrays.stream(labels).allMatch(line::contains)).toList();
        assertThat(series).as("a series " + name + " " + java.util.Arrays.toString(labels)).isNotEmpty();
        return series.stream().mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    /**
     * docs/haproxy.cfg itself, moved onto loopback: its binds on this test's ports, its servers on this cluster's
     * nodes with each check sent to the node's own agent ({@code check port}), and HAProxy's log on stderr.
     */
    private static String config(PostgresCluster pg, List<QuarkusService> agents, int writes, int reads)
            throws Exception {
        String documented = Files.readString(Path.of("..", "docs", "haproxy.cfg"));
        assertThat(documented).as("the check interval this test measures against")
                .contains("inter " + CHECK_INTERVAL.toSeconds() + "s");
        Matcher server = Pattern.compile("(?m)^(\\s*server) orders-(\\d) \\S+ check port \\d+$").matcher(documented);
        StringBuilder config = new StringBuilder();
        while (server.find()) {
            int i = Integer.parseInt(server.group(2)) - 1;
            PostgresNode node = pg.nodes().get(i);
            server.appendReplacement(config, server.group(1) + " " + node.name() + " 127.0.0.1:" + node.port()
                    + " check port " + agents.get(i).port());
        }
        server.appendTail(config);
        String moved = config.toString().replace("bind :5000", "bind 127.0.0.1:" + writes)
                .replace("bind :5001", "bind 127.0.0.1:" + reads)
                .replace("global\n", "global\n    log stderr format raw local0\n")
                .replace("defaults\n", "defaults\n    log global\n");
        assertThat(moved).as("every documented server and bind moved onto this test's cluster")
                .doesNotContain("10.0.0.").contains("127.0.0.1:" + writes).contains("127.0.0.1:" + reads);
        return moved;
    }

    /** One write through HAProxy on a new connection; the port of the server that committed it. */
    private static int write(int port, Credentials login, String note) throws SQLException {
        try (Connection connection = connect(port, login); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO routed (note) VALUES ('" + note + "')");
            return serverPort(statement);
        }
    }

    /** One read through HAProxy on a new connection: the port of the server, which must be in recovery. */
    private static int readOnFollower(int port, Credentials login) throws SQLException {
        try (Connection connection = connect(port, login); Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT pg_is_in_recovery(), count(*) FROM routed")) {
            rs.next();
            if (!rs.getBoolean(1)) {
                throw new SQLException("a read reached a server not in recovery (port " + serverPort(statement) + ")");
            }
            return serverPort(statement);
        }
    }

    private static int serverPort(Statement statement) throws SQLException {
        try (ResultSet rs = statement.executeQuery("SELECT current_setting('port')::int")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static Connection connect(int port, Credentials login) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", login.user());
        props.setProperty("password", login.password());
        props.setProperty("connectTimeout", "2");
        props.setProperty("socketTimeout", "5");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", props);
    }

    /** "status body" of a GET. */
    private static String get(URI uri) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }
}
