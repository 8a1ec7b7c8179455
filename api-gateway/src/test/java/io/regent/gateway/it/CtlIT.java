package io.regent.gateway.it;

import static io.regent.testkit.stack.ControlPlane.CONTROL_ROLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.regent.ctl.Environment;
import io.regent.ctl.ExitCodes;
import io.regent.ctl.RegentCtl;
import io.regent.testkit.FreePorts;
import io.regent.testkit.Testkit;
import io.regent.testkit.browser.Browser;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ControlPlane;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * regentctl against the real stack - Keycloak, the gateway, the registry, Kafka, monitor agents, a failover-service
 * and a three-node PostgreSQL cluster with a node agent beside each node: every command in table and JSON output, as a
 * viewer, an operator and an admin; the device flow signed in through Chromium; client credentials for automation;
 * and the exit codes a script sees. The commands run in this JVM (the same code as the jar), the runnable jar once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CtlIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    @RegisterExtension
    static final SharedStack.Use STACK = new SharedStack.Use();

    private static ControlPlane plane;
    private static QuarkusService gateway;
    private static PostgresCluster pg;
    private static AutoCloseable registered;

    @TempDir
    Path config;

    /** What one command line printed and exited with. */
    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    @BeforeAll
    static void start() throws Exception {
        plane = STACK.get().plane;
        gateway = STACK.get().gateway;
        pg = PostgresCluster.builder().name("ctl").nodes(3).controlRole(CONTROL_ROLE).start();
        // an agent beside each node: a switched-over leader is rejoined by its own, rejoin and rebuild need one
        for (String node : List.of("ctl-1", "ctl-2", "ctl-3")) {
            plane.startNodeAgent(pg, pg.node(node));
        }
        registered = plane.register(pg, Map.of());
        await().atMost(Duration.ofSeconds(30)).until(() -> plane.ownedBy(STACK.get().failover).contains("ctl"));
        await().atMost(Duration.ofSeconds(30)).until(() -> plane.seenReachableByAll("ctl", "ctl-2")
                && plane.seenReachableByAll("ctl", "ctl-3"));
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {registered, pg}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    @Test
    @Order(1)
    void aPersonSignsInWithTheDeviceFlowInABrowserAndOut() throws Exception {
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        CompletableFuture<Integer> login = CompletableFuture.supplyAsync(() -> RegentCtl.run(environment(
                Map.of(), "", out, err), "login", "--server", gateway.url().toString()));
        await().atMost(Duration.ofSeconds(30)).until(() -> err.toString().contains("Waiting for the sign-in"));
        String page = err.toString().lines().map(String::strip).filter(line -> line.startsWith("http"))
                .findFirst().orElseThrow();
        assertThat(page).startsWith(STACK.get().keycloak.issuer() + "/device").contains("user_code=");
        try (Browser browser = Browser.chromium(SCREENSHOTS)) {
            browser.open(page);
            browser.signInOnKeycloak(SharedStack.OPERATOR, SharedStack.PASSWORD);
            // Keycloak asks every time whether to grant the device access (RFC 8628 section 3.3: the person approves)
            browser.waitFor(By.name("accept"));
            browser.screenshot("regentctl-device-grant");
            browser.click(By.name("accept"));
            assertThat(login.get(60, TimeUnit.SECONDS)).as(err.toString()).isZero();
            browser.screenshot("regentctl-device-signed-in");
        }
        assertThat(out.toString()).isEqualTo("Signed in to " + gateway.url() + " as olivia (regent-operator, "
                + "regent-viewer)\n");

        Path session = config.resolve("session.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(session))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config))).isEqualTo("rwx------");
        assertThat(Files.readString(session)).doesNotContain(SharedStack.PASSWORD).contains("\"user\" : \"olivia\"");

        // the stored session is used (and the server remembered): no --server, no token
        Run whoami = ctl(Map.of(), "", "whoami", "-o", "json");
        assertThat(whoami.code()).as(whoami.toString()).isZero();
        assertThat(whoami.json().path("name").asText()).isEqualTo("olivia");
        assertThat(ctl(Map.of(), "", "whoami").out()).isEqualTo("olivia on " + gateway.url()
                + ": regent-operator, regent-viewer\n");

        Run logout = ctl(Map.of(), "", "logout");
        assertThat(logout.out()).isEqualTo("Signed out (the session is ended at the identity provider too)\n");
        assertThat(session).doesNotExist();
        Run after = ctl(Map.of("REGENT_SERVER", gateway.url().toString()), "", "whoami");
        assertThat(after.code()).isEqualTo(ExitCodes.NOT_SIGNED_IN);
        assertThat(after.err()).isEqualTo("regentctl: not signed in: run regentctl login --server " + gateway.url()
                + "\n");
    }

    @Test
    @Order(2)
    void automationSignsInWithClientCredentialsAndStoresNoSecret() throws Exception {
        String secret = STACK.get().keycloak.createServiceClient("ci-bot", "regent-operator");

        Run login = ctl(Map.of(), secret + "\n", "login", "--server", gateway.url().toString(), "--client-id", "ci-bot",
                "--client-secret-stdin");
        assertThat(login.code()).as(login.toString()).isZero();
        assertThat(login.out()).isEqualTo("Signed in to " + gateway.url() + " as service-account-ci-bot "
                + "(regent-operator, regent-viewer)\n");
        assertThat(Files.readString(config.resolve("session.json"))).doesNotContain(secret);
        Files.delete(config.resolve("session.json"));

        // nothing stored at all: a token per run from the environment
        Run env = ctl(Map.of("REGENT_SERVER", gateway.url().toString(), "REGENTCTL_CLIENT_ID", "ci-bot",
                "REGENTCTL_CLIENT_SECRET", secret), "", "whoami", "-o", "json");
        assertThat(env.code()).as(env.toString()).isZero();
        assertThat(env.json().path("name").asText()).isEqualTo("service-account-ci-bot");
        // the token, for curl or an application's REGENT_TOKEN: the gateway takes it
        Run token = ctl(Map.of("REGENT_SERVER", gateway.url().toString(), "REGENTCTL_CLIENT_ID", "ci-bot",
                "REGENTCTL_CLIENT_SECRET", secret), "", "token");
        assertThat(token.code()).as(token.toString()).isZero();
        HttpResponse<String> me = HttpClient.newHttpClient().send(HttpRequest.newBuilder(gateway.url().resolve(
                "/api/v1/me")).header("Authorization", "Bearer " + token.out().strip()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(me.statusCode()).as(me.body()).isEqualTo(200);
        assertThat(me.body()).contains("service-account-ci-bot");
        try (var files = Files.list(config)) {
            assertThat(files).isEmpty();
        }

        Run wrong = ctl(Map.of(), "not-the-secret\n", "login", "--server", gateway.url().toString(), "--client-id",
                "ci-bot", "--client-secret-stdin");
        assertThat(wrong.code()).isEqualTo(ExitCodes.NOT_SIGNED_IN);
        assertThat(wrong.err()).startsWith("regentctl: the identity provider refused the client-credentials sign-in "
                + "of ci-bot: unauthorized_client").doesNotContain("not-the-secret");
    }

    @Test
    @Order(3)
    void aViewerReadsEverythingInTableAndJsonAndMayNotSwitchOver() throws Exception {
        awaitHealthy();
        Run list = as(SharedStack.VIEWER, "", "list");
        assertThat(list.code()).as(list.toString()).isZero();
        assertThat(list.out()).containsPattern("\\| ctl +\\| POSTGRESQL +\\| ASYNC +\\| ctl-1 +\\| \\d+ +\\| 3 +\\| +\\| "
                + "healthy: leader writable, every follower streaming");
        JsonNode clusters = as(SharedStack.VIEWER, "", "list", "-o", "json").json();
        JsonNode ctl = find(clusters, "clusterId", "ctl");
        assertThat(ctl.path("leader").asText()).isEqualTo("ctl-1");
        assertThat(ctl.path("health").asText()).isEqualTo("healthy");

        Run topology = as(SharedStack.VIEWER, "", "topology", "ctl");
        assertThat(topology.code()).as(topology.toString()).isZero();
        assertThat(topology.out()).startsWith("+ Cluster: ctl (POSTGRESQL, ASYNC) epoch ")
                .containsPattern("\\| ctl-1 +\\| 127\\.0\\.0\\.1:\\d+ +\\| [^|]+\\| LEADER +\\| running +\\|")
                .containsPattern("\\| ctl-2 +\\| 127\\.0\\.0\\.1:\\d+ +\\| [^|]+\\| FOLLOWER +\\| streaming +\\| 1 +\\|")
                .contains("Health: healthy (leader writable, every follower streaming)");
        JsonNode nodes = as(SharedStack.VIEWER, "", "topology", "ctl", "-o", "json").json().path("nodes");
        assertThat(nodes).hasSize(3);
        assertThat(find(nodes, "node", "ctl-3").path("state").asText()).isEqualTo("streaming");
        assertThat(find(nodes, "node", "ctl-3").path("lagBytes").isIntegralNumber()).isTrue();
        Run yaml = as(SharedStack.VIEWER, "", "topology", "ctl", "-o", "yaml");
        assertThat(yaml.out()).startsWith("clusterId: ctl\n").contains("- node: ctl-1\n");

        int operations = as(SharedStack.VIEWER, "", "history", "ctl", "-o", "json").json().size();
        Run refused = as(SharedStack.VIEWER, "", "switchover", "ctl", "--yes");
        assertThat(refused.code()).isEqualTo(ExitCodes.FORBIDDEN);
        assertThat(refused.err()).matches("regentctl: Forbidden \\(403\\): [^\\n]+\\n");
        assertThat(as(SharedStack.VIEWER, "", "history", "ctl", "-o", "json").json()).hasSize(operations);

        Run watchOnce = as(SharedStack.VIEWER, "", "watch", "ctl", "--count", "1");
        assertThat(watchOnce.code()).as(watchOnce.toString()).isZero();
        assertThat(watchOnce.out()).as("first the current topology").containsPattern(
                "^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  topology  ctl epoch \\d+, leader ctl-1")
                .hasLineCount(1);

        Run unknown = as(SharedStack.VIEWER, "", "topology", "nope");
        assertThat(unknown.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(unknown.err()).startsWith("regentctl: ").contains("(404)");
    }

    @Test
    @Order(4)
    void anOperatorSwitchesOverAndFailsOverWhileWatchSeesIt() throws Exception {
        StringWriter watched = new StringWriter();
        CompletableFuture<Integer> watch = CompletableFuture.supplyAsync(() -> RegentCtl.run(environment(
                withToken(SharedStack.OPERATOR), "", watched, new StringWriter()), "watch", "ctl", "--no-health",
                "--for", "90s", "-o", "json"));
        await().atMost(Duration.ofSeconds(15)).until(() -> watched.toString().contains("\"kind\":\"topology\""));

        Run declined = as(SharedStack.OPERATOR, "n\n", "switchover", "ctl", "--candidate", "ctl-2");
        assertThat(declined.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(declined.err()).startsWith("Switch over ctl (epoch ").endsWith("regentctl: not confirmed: nothing "
                + "was requested\n");
        Run unanswered = as(SharedStack.OPERATOR, "", "switchover", "ctl");
        assertThat(unanswered.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(unanswered.err()).contains("no answer (stdin is closed): nothing was requested - pass --yes");
        long epoch = as(SharedStack.VIEWER, "", "topology", "ctl", "-o", "json").json().path("epoch").asLong();
        Run stale = as(SharedStack.OPERATOR, "", "switchover", "ctl", "--expected-epoch", String.valueOf(epoch + 7),
                "--yes");
        assertThat(stale.code()).as(stale.toString()).isEqualTo(ExitCodes.REFUSED);
        assertThat(stale.err()).startsWith("regentctl: ").contains("(409)");

        Run switchover = as(SharedStack.OPERATOR, "y\n", "switchover", "ctl", "--candidate", "ctl-2", "--wait",
                "--reason", "regentctl test");
        assertThat(switchover.code()).as(switchover.toString()).isZero();
        assertThat(switchover.out()).containsPattern("SWITCHOVER of ctl done: leader ctl-2, epoch \\d+ \\(\\d+\\.\\d s\\)");
        await().atMost(Duration.ofSeconds(15)).until(() -> watched.toString().lines().anyMatch(line ->
                line.contains("\"kind\":\"topology\"") && line.contains("\"leader\":\"ctl-2\"")));
        assertThat(watched.toString()).contains("\"kind\":\"operation\"").contains("\"SWITCHOVER\"");

        awaitHealthy(); // ctl-1 rejoined by its agent, streaming from ctl-2
        // "healthy" needs one agent to reach each node; the failover-service refuses a candidate that a quorum of
        // agents last saw unreachable - as they did while its agent restarted it - until their next probes
        await().atMost(Duration.ofSeconds(30)).until(() -> everyAgentReaches("ctl", "ctl-1"));
        Run failover = as(SharedStack.OPERATOR, "", "failover", "ctl", "--candidate", "ctl-1", "--yes", "--wait",
                "-o", "json");
        if (failover.code() == ExitCodes.OPERATION_FAILED && failover.err().contains("request again in a moment")) {
            Testkit.sleep(3_000); // the followers' positions were older than the leader's last answer: documented
            failover = as(SharedStack.OPERATOR, "", "failover", "ctl", "--candidate", "ctl-1", "--yes", "--wait",
                    "-o", "json");
        }
        assertThat(failover.code()).as(failover.toString()).isZero();
        assertThat(failover.json().path("kind").asText()).as("a live leader is switched over, not failed over")
                .isEqualTo("SWITCHOVER");
        assertThat(failover.json().path("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(failover.json().path("toNode").asText()).isEqualTo("ctl-1");
        watch.cancel(true);
        awaitHealthy();

        Run history = as(SharedStack.VIEWER, "", "history", "ctl", "--limit", "5");
        assertThat(history.code()).as(history.toString()).isZero();
        assertThat(history.out()).startsWith("+ History: ctl (")
                .containsPattern("\\| SWITCHOVER +\\| SUCCEEDED +\\| ctl-2 +\\| ctl-1 +\\| \\d+ -> \\d+ +\\| \\d+\\.\\d s")
                .containsPattern("\\| SWITCHOVER +\\| SUCCEEDED +\\| ctl-1 +\\| ctl-2 +\\|");
        // newest first; the automatic rejoins of the switched-over leaders are in between
        List<JsonNode> switchovers = new java.util.ArrayList<>();
        as(SharedStack.VIEWER, "", "history", "ctl", "-o", "json").json().forEach(op -> {
            if (op.path("kind").asText().equals("SWITCHOVER")) {
                switchovers.add(op);
            }
        });
        assertThat(switchovers).hasSize(2);
        assertThat(switchovers.get(0).path("toNode").asText()).isEqualTo("ctl-1");
        assertThat(switchovers.get(0).path("phases").size()).isGreaterThan(2);
        assertThat(switchovers.get(1).path("toNode").asText()).isEqualTo("ctl-2");
        assertThat(switchovers.get(1).path("reason").asText()).contains("requested by olivia (regentctl test)");
        Files.writeString(SCREENSHOTS.resolve("regentctl-history.txt"), history.out());
        Files.writeString(SCREENSHOTS.resolve("regentctl-topology.txt"), as(SharedStack.VIEWER, "", "topology",
                "ctl").out());
    }

    @Test
    @Order(5)
    void anOperatorTurnsMaintenanceOnUntilLaterAndOff() throws Exception {
        Run on = as(SharedStack.OPERATOR, "", "maintenance", "ctl", "on", "--until", "10m", "--reason", "patching",
                "--yes");
        assertThat(on.code()).as(on.toString()).isZero();
        assertThat(on.out()).startsWith("Requested maintenance on for ctl until 20");
        await().atMost(Duration.ofSeconds(15)).until(() -> as(SharedStack.VIEWER, "", "topology", "ctl", "-o",
                "json").json().path("maintenance").asBoolean());
        assertThat(as(SharedStack.VIEWER, "", "list").out()).containsPattern("\\| ctl +\\|.*\\| on +\\|");

        Run off = as(SharedStack.OPERATOR, "", "maintenance", "ctl", "off", "--yes", "-o", "json");
        assertThat(off.code()).as(off.toString()).isZero();
        assertThat(off.json().path("command").asText()).isEqualTo("maintenance-off");
        await().atMost(Duration.ofSeconds(15)).until(() -> !as(SharedStack.VIEWER, "", "topology", "ctl", "-o",
                "json").json().path("maintenance").asBoolean());
        Run mistake = as(SharedStack.OPERATOR, "", "maintenance", "ctl", "off", "--until", "1h", "--yes");
        assertThat(mistake.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(mistake.err()).isEqualTo("regentctl: --until goes with maintenance on, not off\n");
    }

    @Test
    @Order(6)
    void anOperatorRebuildsAndRejoinsAFollowerButNeverTheLeader() throws Exception {
        awaitHealthy(); // one rejoin at a time: no automatic one may still run
        String leader = as(SharedStack.VIEWER, "", "topology", "ctl", "-o", "json").json().path("leader").asText();
        assertThat(leader).isNotEqualTo("ctl-3");

        Run rebuild = as(SharedStack.OPERATOR, "", "rebuild", "ctl", "ctl-3", "--yes", "--wait", "-o", "json");
        assertThat(rebuild.code()).as(rebuild.toString()).isZero();
        assertThat(rebuild.json().path("kind").asText()).isEqualTo("REBUILD");
        assertThat(rebuild.json().path("status").asText()).isEqualTo("SUCCEEDED");

        Run rejoin = as(SharedStack.OPERATOR, "y\n", "rejoin", "ctl", "ctl-3", "--wait");
        assertThat(rejoin.code()).as(rejoin.toString()).isZero();
        assertThat(rejoin.out()).containsPattern("REJOIN of ctl-3 in ctl done \\(\\d+\\.\\d s\\)");

        Run ofLeader = as(SharedStack.OPERATOR, "", "rejoin", "ctl", leader, "--yes");
        assertThat(ofLeader.code()).isEqualTo(ExitCodes.REFUSED);
        assertThat(ofLeader.err()).startsWith("regentctl: ").contains("(409)").contains(leader);
        Run unknownNode = as(SharedStack.OPERATOR, "", "rebuild", "ctl", "ctl-9", "--yes");
        assertThat(unknownNode.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(unknownNode.err()).isEqualTo("regentctl: ctl has no node ctl-9; its nodes are [ctl-1, ctl-2, "
                + "ctl-3]\n");
        awaitHealthy();
    }

    @Test
    @Order(7)
    void anAdminRegistersChangesAndRemovesAClusterFromAFileAndFlags() throws Exception {
        int port1 = FreePorts.next();
        int port2 = FreePorts.next();
        Path file = config.resolve("inventory.yaml");
        Files.writeString(file, """
                id: ctl-inventory
                displayName: Inventory test
                engine: POSTGRESQL
                replication: {mode: ASYNC, syncCount: 0}
                failoverPolicy: {automatic: false}
                credentials: {username: app, password: %s}
                nodes:
                  - {name: inv-1, host: 127.0.0.1, port: %d, role: LEADER}
                """.formatted("pw-" + Testkit.randomSecret(), port1));

        Run byOperator = as(SharedStack.OPERATOR, "", "add-cluster", "-f", file.toString());
        assertThat(byOperator.code()).isEqualTo(ExitCodes.FORBIDDEN);
        assertThat(byOperator.err()).startsWith("regentctl: Forbidden (403)");

        Run added = as(SharedStack.ADMIN, "", "add-cluster", "-f", file.toString(), "-o", "json");
        assertThat(added.code()).as(added.toString()).isZero();
        assertThat(added.json().path("credentialsStored").asBoolean()).isTrue();
        assertThat(added.out()).doesNotContain("password");

        Run node = as(SharedStack.ADMIN, "", "add-node", "ctl-inventory", "inv-2", "--host", "127.0.0.1", "--port",
                String.valueOf(port2), "--zone", "zone-2", "--priority", "50");
        assertThat(node.code()).as(node.toString()).isZero();
        assertThat(node.out()).isEqualTo("Added inv-2 to ctl-inventory as a follower\n");
        Run invalid = as(SharedStack.ADMIN, "", "add-node", "ctl-inventory", "inv-3", "--host", "127.0.0.1",
                "--port", "70000");
        assertThat(invalid.code()).isEqualTo(ExitCodes.REFUSED);
        assertThat(invalid.err()).matches("regentctl: Invalid request \\(400\\): port [^\\n]*65535[^\\n]*\\n");
        Run flags = as(SharedStack.ADMIN, "", "add-cluster", "--id", "ctl-flags", "--engine", "postgresql",
                "--node", "f-1=127.0.0.1:" + port1 + ",zone=z1", "--node", "f-2=127.0.0.1:" + port2, "--leader",
                "f-1", "--no-automatic-failover");
        assertThat(flags.code()).as(flags.toString()).isZero();
        assertThat(flags.out()).isEqualTo("Registered ctl-flags with 2 node(s); see it with: regentctl topology "
                + "ctl-flags\n");
        await().atMost(Duration.ofSeconds(15)).until(() -> as(SharedStack.VIEWER, "", "topology", "ctl-inventory",
                "-o", "json").json().path("nodes").size() == 2);
        JsonNode flagged = as(SharedStack.VIEWER, "", "topology", "ctl-flags", "-o", "json").json();
        assertThat(flagged.path("leader").asText()).isEqualTo("f-1");
        assertThat(find(flagged.path("nodes"), "node", "f-1").path("zone").asText()).isEqualTo("z1");

        Run removed = as(SharedStack.ADMIN, "", "remove-node", "ctl-inventory", "inv-2", "--yes", "-o", "json");
        assertThat(removed.code()).as(removed.toString()).isZero();
        assertThat(removed.json().path("removed").asBoolean()).isTrue();
        await().atMost(Duration.ofSeconds(15)).until(() -> as(SharedStack.VIEWER, "", "topology", "ctl-inventory",
                "-o", "json").json().path("nodes").size() == 1);
        for (String cluster : List.of("ctl-inventory", "ctl-flags")) {
            Run notInMaintenance = as(SharedStack.ADMIN, "", "remove-cluster", cluster, "--yes");
            assertThat(notInMaintenance.code()).isEqualTo(ExitCodes.REFUSED);
            assertThat(notInMaintenance.err()).contains("(409)").contains("maintenance");
            assertThat(as(SharedStack.ADMIN, "", "maintenance", cluster, "on", "--yes").code()).isZero();
            await().atMost(Duration.ofSeconds(15)).until(() -> as(SharedStack.ADMIN, "", "remove-cluster", cluster,
                    "--yes").code() == 0);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> as(SharedStack.VIEWER, "", "topology", "ctl-inventory")
                .code() == ExitCodes.NOT_FOUND);
    }

    @Test
    @Order(8)
    void theRunnableJarRunsByItself() throws Exception {
        Path jar = Path.of(System.getProperty("regent.it.regentctl-jar", "../regentctl/target/regentctl.jar"));
        assertThat(jar).as("regentctl's runnable jar: ./mvnw -pl regentctl package").isRegularFile();
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "list", "-o", "json").redirectErrorStream(false);
        builder.environment().put("REGENT_SERVER", gateway.url().toString());
        builder.environment().put("REGENT_TOKEN", STACK.get().token(SharedStack.VIEWER));
        builder.environment().put("REGENTCTL_CONFIG_DIR", config.toString());
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(err).isZero();
        assertThat(find(JSON.readTree(out), "clusterId", "ctl").path("leader").asText()).startsWith("ctl-");
    }

    /** Until regentctl itself says the cluster is healthy: a leader, every follower streaming, nothing running. */
    /** Whether every agent's newest observation of {@code node} (the gateway's observations API) reached it. */
    private boolean everyAgentReaches(String cluster, String node) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(gateway.url().resolve(
                "/api/v1/clusters/" + cluster + "/observations")).header("Authorization", "Bearer "
                + STACK.get().token(SharedStack.VIEWER)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<JsonNode> ofNode = new ArrayList<>();
        JSON.readTree(response.body()).forEach(o -> {
            if (o.path("node").asText().equals(node)) {
                ofNode.add(o);
            }
        });
        return !ofNode.isEmpty() && ofNode.stream().allMatch(o -> o.path("reachable").asBoolean());
    }

    private void awaitHealthy() {
        await().atMost(Duration.ofSeconds(60)).until(() -> find(as(SharedStack.VIEWER, "", "list", "-o", "json")
                .json(), "clusterId", "ctl").path("health").asText().equals("healthy"));
    }

    private Run as(String user, String stdin, String... args) {
        return ctl(withToken(user), stdin, args);
    }

    private Run ctl(Map<String, String> env, String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = RegentCtl.run(environment(env, stdin, out, err), args);
        return new Run(code, out.toString(), err.toString());
    }

    private Map<String, String> withToken(String user) {
        return Map.of("REGENT_SERVER", gateway.url().toString(), "REGENT_TOKEN", STACK.get().token(user));
    }

    private Environment environment(Map<String, String> env, String stdin, StringWriter out, StringWriter err) {
        Map<String, String> variables = new HashMap<>(env);
        variables.put("REGENTCTL_CONFIG_DIR", config.toString());
        return new Environment(new PrintWriter(out, true), new PrintWriter(err, true),
                new BufferedReader(new StringReader(stdin)), variables, config, Clock.systemUTC(),
                Environment.newHttpClient(), duration -> Thread.sleep(duration.toMillis()));
    }

    private static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode item : array) {
            if (item.path(field).asText().equals(value)) {
                return item;
            }
        }
        throw new AssertionError("no " + field + "=" + value + " in " + array);
    }
}
