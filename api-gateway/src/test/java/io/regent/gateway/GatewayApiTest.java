package io.regent.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.regent.events.Engine;
import io.regent.events.EventEnvelope;
import io.regent.events.KafkaAccess;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.RegentEvent;
import io.regent.events.RejoinRequested;
import io.regent.events.SwitchoverRequested;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.events.WalReceiverState;
import io.regent.events.kafka.CommandSignature;
import io.regent.events.kafka.RegentEventSerializer;
import io.regent.testkit.kafka.TopicReader;
import io.regent.testkit.keycloak.Keycloak;
import io.regent.testkit.quarkus.CommandKeysTestResource;
import io.regent.testkit.quarkus.KafkaTestResource;
import io.regent.testkit.quarkus.KeycloakTestResource;
import io.regent.testkit.security.TestTokens;
import io.restassured.response.Response;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The public API against a real Keycloak (the project's realm file) and a real Kafka broker: the
 * auth matrix, commands reaching the command topic with who asked, problem+json for every mistake,
 * and the load balancers' routing checks following the topology and the agents' observations.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaTestResource.class, initArgs = @ResourceArg(name = "principal",
        value = KafkaAccess.GATEWAY))
@QuarkusTestResource(KeycloakTestResource.class)
@QuarkusTestResource(CommandKeysTestResource.class)
class GatewayApiTest {

    private static final Map<String, String> TOKENS = new java.util.concurrent.ConcurrentHashMap<>();

    private static volatile boolean ready;

    /** Once per class, with the application running (RestAssured knows its port only then). */
    @BeforeEach
    void topologyAndTokens() {
        if (ready) {
            return;
        }
        Keycloak keycloak = KeycloakTestResource.keycloak();
        for (String user : List.of("viewer", "operator", "admin", "nobody")) {
            TOKENS.put(user, keycloak.userToken(user, KeycloakTestResource.PASSWORD));
        }
        TOKENS.put("expired", keycloak.expiredUserToken("admin", KeycloakTestResource.PASSWORD));
        // right roles, wrong issuer and key: a token of another realm
        TOKENS.put("foreign", TestTokens.forRoles("mallory", "regent-admin"));
        publish("alpha", topology("alpha", 4, "alpha-1"));
        await().atMost(Duration.ofSeconds(20)).until(() -> given().auth().oauth2(TOKENS.get("viewer"))
                .get("/api/v1/clusters/alpha/topology").statusCode() == 200);
        ready = true;
    }

    static Stream<Arguments> matrix() {
        List<Arguments> rows = new ArrayList<>();
        String[][] reads = {{"GET", "/api/v1/clusters", null}, {"GET", "/api/v1/clusters/alpha/topology", null},
                {"GET", "/api/v1/clusters/alpha/observations", null}};
        String[][] commands = {{"POST", "/api/v1/clusters/alpha/switchover", "{\"candidate\":\"alpha-2\"}"},
                {"POST", "/api/v1/clusters/alpha/failover", "{\"candidate\":\"alpha-3\",\"reason\":\"drill\"}"},
                {"PUT", "/api/v1/clusters/alpha/maintenance", "{\"enabled\":false,\"reason\":\"done\"}"},
                {"POST", "/api/v1/clusters/alpha/nodes/alpha-2/rejoin", "{}"},
                {"POST", "/api/v1/clusters/alpha/nodes/alpha-3/rebuild", "{\"reason\":\"disk replaced\"}"}};
        for (String[] read : reads) {
            rows.addAll(row(read, 401, 403, 200, 200, 200));
        }
        for (String[] command : commands) {
            rows.addAll(row(command, 401, 403, 403, 202, 202));
        }
        rows.addAll(row(new String[] {"GET", "/api/v1/me", null}, 401, 200, 200, 200, 200)); // any signed-in caller
        return rows.stream();
    }

    private static List<Arguments> row(String[] call, int none, int nobody, int viewer, int operator, int admin) {
        return List.of(Arguments.of(call[0], call[1], call[2], null, none),
                Arguments.of(call[0], call[1], call[2], "nobody", nobody),
                Arguments.of(call[0], call[1], call[2], "viewer", viewer),
                Arguments.of(call[0], call[1], call[2], "operator", operator),
                Arguments.of(call[0], call[1], call[2], "admin", admin),
                Arguments.of(call[0], call[1], call[2], "expired", 401),
                Arguments.of(call[0], call[1], call[2], "foreign", 401));
    }

    @ParameterizedTest(name = "{0} {1} as {3} -> {4}")
    @MethodSource("matrix")
    void everyEndpointAnswersEveryCallerAsSpecified(String method, String path, String body, String caller,
            int expected) {
        var request = given().contentType("application/json");
        if (caller != null) {
            request = request.auth().oauth2(TOKENS.get(caller));
        }
        if (body != null) {
            request = request.body(body);
        }
        Response response = request.request(method, path);
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(expected);
        if (expected >= 400) {
            assertThat(response.contentType()).startsWith("application/problem+json");
            assertThat(response.jsonPath().getInt("status")).isEqualTo(expected);
            assertThat(response.jsonPath().getString("detail")).isNotBlank();
        }
    }

    @Test
    void theSignInSettingsNeedNoTokenAndNameTheRealmAndTheCommandLineClient() {
        Response response = given().get("/api/v1/sign-in");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.jsonPath().getString("issuer")).isEqualTo(KeycloakTestResource.keycloak().issuer());
        assertThat(response.jsonPath().getString("cliClientId")).isEqualTo("regentctl");
    }

    @Test
    void responsesCarryDefensiveHeadersAndTheApiIsDocumented() {
        Response response = given().auth().oauth2(TOKENS.get("viewer")).get("/api/v1/clusters");
        assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(response.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(response.header("Content-Security-Policy")).contains("default-src 'self'");
        assertThat(response.header("Cache-Control")).isEqualTo("no-store");
        Response preflight = given().header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "POST").options("/api/v1/clusters/alpha/switchover");
        assertThat(preflight.header("Access-Control-Allow-Origin")).as("CORS is closed").isNull();
        String openapi = given().get("/q/openapi?format=json").then().statusCode(200).extract().asString();
        assertThat(openapi).contains("/api/v1/clusters/{id}/switchover", "/api/v1/events",
                "/route/{cluster}/{node}/leader");
    }

    @Test
    void aSwitchoverRequestReachesTheCommandTopicWithWhoAskedAndTheCurrentEpoch() {
        Response response = given().auth().oauth2(TOKENS.get("operator")).contentType("application/json")
                .body("{\"candidate\":\"alpha-3\",\"reason\":\"kernel upgrade\"}")
                .post("/api/v1/clusters/alpha/switchover");
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(202);
        UUID operation = UUID.fromString(response.jsonPath().getString("operationId"));
        assertThat(response.header("Location")).endsWith("/api/v1/operations/" + operation);

        SwitchoverRequested command = awaitCommand(SwitchoverRequested.class, operation, SwitchoverRequested::requestId);
        assertThat(command.clusterId()).isEqualTo("alpha");
        assertThat(command.requestedBy()).isEqualTo("operator");
        assertThat(command.expectedLeader()).isEqualTo("alpha-1");
        assertThat(command.candidate()).isEqualTo("alpha-3");
        assertThat(command.expectedEpoch()).isEqualTo(4L);
        assertThat(command.reason()).isEqualTo("kernel upgrade");

        // signed for the operator: the failover-service's key verifies it, and a changed byte breaks it
        ConsumerRecord<String, byte[]> record = TopicReader.readAllRaw(KafkaTestResource.broker(),
                Topics.COMMANDS.name()).stream().filter(r -> new String(r.value(), StandardCharsets.UTF_8)
                        .contains(operation.toString())).findFirst().orElseThrow();
        List<PublicKey> keys = List.of(CommandSignature.publicKey(CommandKeysTestResource.verifyKey()));
        CommandSignature.Verdict verdict = CommandSignature.verify(keys, record.topic(), record.key(), record.value(),
                record.headers(), Instant.now(), Duration.ofMinutes(10));
        assertThat(verdict.accepted()).as(verdict.reason()).isTrue();
        assertThat(verdict.requester()).isEqualTo("operator");
        assertThat(verdict.role()).isEqualTo("regent-operator");
        byte[] tampered = record.value().clone();
        tampered[tampered.length / 2] ^= 1;
        assertThat(CommandSignature.verify(keys, record.topic(), record.key(), tampered, record.headers(),
                Instant.now(), Duration.ofMinutes(10)).reason())
                .isEqualTo("the signature does not verify with any configured key");
    }

    @Test
    void aRebuildRequestReachesTheCommandTopicWithTheNodeWhoAskedAndTheCurrentEpoch() {
        Response response = given().auth().oauth2(TOKENS.get("operator")).contentType("application/json")
                .body("{\"reason\":\"disk replaced\",\"expectedEpoch\":4}")
                .post("/api/v1/clusters/alpha/nodes/alpha-3/rebuild");
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(202);
        assertThat(response.jsonPath().getString("command")).isEqualTo("rebuild");
        UUID operation = UUID.fromString(response.jsonPath().getString("operationId"));
        assertThat(response.header("Location")).endsWith("/api/v1/operations/" + operation);

        RejoinRequested command = awaitCommand(RejoinRequested.class, operation, RejoinRequested::requestId);
        assertThat(command.clusterId()).isEqualTo("alpha");
        assertThat(command.node()).isEqualTo("alpha-3");
        assertThat(command.rebuild()).isTrue();
        assertThat(command.requestedBy()).isEqualTo("operator");
        assertThat(command.expectedEpoch()).isEqualTo(4L);
        assertThat(command.reason()).isEqualTo("disk replaced");

        Response untyped = given().auth().oauth2(TOKENS.get("admin")).post("/api/v1/clusters/alpha/nodes/alpha-2/rejoin");
        assertThat(untyped.statusCode()).as("no Content-Type: %s", untyped.asString()).isEqualTo(415);
        assertThat(untyped.contentType()).startsWith("application/problem+json");
        Response rejoin = given().auth().oauth2(TOKENS.get("admin")).contentType("application/json")
                .post("/api/v1/clusters/alpha/nodes/alpha-2/rejoin");
        assertThat(rejoin.statusCode()).as("no body: the current epoch, no reason").isEqualTo(202);
        UUID rejoinId = UUID.fromString(rejoin.jsonPath().getString("operationId"));
        RejoinRequested rejoinCommand = awaitCommand(RejoinRequested.class, rejoinId, RejoinRequested::requestId);
        assertThat(rejoinCommand.rebuild()).isFalse();
        assertThat(rejoinCommand.node()).isEqualTo("alpha-2");
        assertThat(rejoinCommand.requestedBy()).isEqualTo("admin");
        assertThat(rejoinCommand.expectedEpoch()).isEqualTo(4L);
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of("POST", "/api/v1/clusters/alpha/switchover", "{\"candidate\":\"alpha-9\"}", 422,
                        "'alpha-9' is not a node of cluster 'alpha'"),
                Arguments.of("POST", "/api/v1/clusters/alpha/failover", "{\"expectedEpoch\":3}", 409,
                        "is at epoch 4, not 3"),
                Arguments.of("POST", "/api/v1/clusters/nope/switchover", "{}", 404, "Cluster 'nope' does not exist"),
                Arguments.of("POST", "/api/v1/clusters/alpha/switchover", "{\"candidate\":", 400, "not valid JSON"),
                Arguments.of("POST", "/api/v1/clusters/alpha/failover", "{\"expectedEpoch\":-1}", 400,
                        "expectedEpoch"),
                Arguments.of("PUT", "/api/v1/clusters/alpha/maintenance", "{\"reason\":\"x\"}", 400, "enabled"),
                Arguments.of("PUT", "/api/v1/clusters/alpha/maintenance", "{\"enabled\":true,\"until\":"
                        + "\"2020-01-01T00:00:00Z\"}", 422, "'until' must be in the future"),
                Arguments.of("GET", "/api/v1/clusters/NOT_A_SLUG/topology", null, 400, "must be a cluster id"),
                Arguments.of("POST", "/api/v1/clusters/alpha/nodes/alpha-1/rejoin", "{}", 409,
                        "'alpha-1' leads cluster 'alpha' at epoch 4; only a follower or a replaced leader can be "
                                + "rejoined"),
                Arguments.of("POST", "/api/v1/clusters/alpha/nodes/alpha-9/rebuild", null, 404,
                        "'alpha-9' is not a node of cluster 'alpha'"),
                Arguments.of("POST", "/api/v1/clusters/alpha/nodes/alpha-2/rebuild", "{\"expectedEpoch\":3}", 409,
                        "is at epoch 4, not 3"),
                Arguments.of("POST", "/api/v1/clusters/nope/nodes/nope-1/rejoin", "{}", 404,
                        "Cluster 'nope' does not exist"));
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @MethodSource("mistakes")
    void aClientMistakeIsAProblemWithAnActionableMessage(String method, String path, String body, int expected,
            String detail) {
        var request = given().auth().oauth2(TOKENS.get("admin")).contentType("application/json");
        if (body != null) {
            request = request.body(body);
        }
        Response response = request.request(method, path);
        assertThat(response.statusCode()).as(response.asString()).isEqualTo(expected);
        assertThat(response.contentType()).startsWith("application/problem+json");
        assertThat(response.jsonPath().getString("detail")).contains(detail);
    }

    @Test
    void routingChecksFollowTheTopologyAndWhatTheAgentsSee() {
        publish("route", topology("route", 2, "route-1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> given().get("/route/route/route-1/leader")
                .asString().contains("no agent has reached it"));
        List<RegentEvent> healthy = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            healthy.clear();
            healthy.add(leader("route", "route-1", 5_000_000L));
            healthy.add(follower("route", "route-2", 4_999_000L));
            healthy.add(follower("route", "route-3", 1_000_000L));
            healthy.forEach(e -> publish("route", e));
            // the gateway takes each observation in on its own: all three must be in, not only the leader's
            assertThat(given().get("/route/route/route-1/leader").statusCode()).isEqualTo(200);
            assertThat(given().get("/route/route/route-2/follower").statusCode()).isEqualTo(200);
            assertThat(given().get("/route/route/route-3/follower").statusCode()).isEqualTo(200);
        });
        assertThat(given().get("/route/route/route-2/leader").statusCode()).isEqualTo(503);
        assertThat(given().get("/route/route/route-2/follower?max-lag-bytes=100").then().extract().asString())
                .contains("1000 bytes behind (limit 100)");
        assertThat(given().get("/route/route/route-3/follower?max-lag-bytes=1048576").statusCode()).isEqualTo(503);
        assertThat(given().get("/route/route/route-1/follower").statusCode()).isEqualTo(503);
        assertThat(given().get("/route/route/route-2/follower?max-lag-bytes=-5").statusCode()).isEqualTo(400);
        assertThat(given().get("/route/nope/route-1/leader").statusCode()).isEqualTo(503);
        // a follower still streaming from another node (not re-pointed) serves nobody's reads
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            publish("route", follower("route", "route-3", 1_000_000L, 5442));
            assertThat(given().get("/route/route/route-3/follower").then().statusCode(503).extract().asString())
                    .contains("route-3 replicates from 127.0.0.1:5442, not from leader route-1 (127.0.0.1:5441)");
        });

        // the dashboard's view of what each agent sees: one row per node and agent, with lag and positions
        Response seen = given().auth().oauth2(TOKENS.get("viewer")).get("/api/v1/clusters/route/observations");
        assertThat(seen.statusCode()).isEqualTo(200);
        assertThat(seen.jsonPath().getList("node")).containsExactly("route-1", "route-2", "route-3");
        assertThat(seen.jsonPath().getList("observerId")).containsOnly("agent-t");
        assertThat(seen.jsonPath().getLong("find { it.node == 'route-3' }.replayedLsn")).isEqualTo(1_000_000L);
        assertThat(seen.jsonPath().getString("find { it.node == 'route-2' }.walReceiverStatus")).isEqualTo("streaming");
        assertThat(given().auth().oauth2(TOKENS.get("viewer")).get("/api/v1/clusters/nope/observations").statusCode())
                .isEqualTo(404);

        // a failover: the registry announces route-2, which an agent sees writable
        publish("route", topology("route", 3, "route-2"));
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            publish("route", leader("route", "route-2", 6_000_000L));
            assertThat(given().get("/route/route/route-2/leader").statusCode()).isEqualTo(200);
            assertThat(given().get("/route/route/route-1/leader").statusCode()).isEqualTo(503);
        });
    }

    @Test
    void anAgentsClockSetWrongNeitherAgesNorFreshensWhatItReports() {
        publish("skew", topology("skew", 2, "skew-1"));
        // an agent whose clock runs 10 minutes behind: what it reports is fresh when it arrives
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            publish("skew", by(leader("skew", "skew-1", 5_000_000L), "agent-behind", -600_000));
            assertThat(given().get("/route/skew/skew-1/leader").statusCode()).isEqualTo(200);
        });
        // an agent 10 minutes ahead finds it unreachable: received last, that counts ...
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            publish("skew", by(unreachable("skew", "skew-1"), "agent-ahead", 600_000));
            assertThat(given().get("/route/skew/skew-1/leader").statusCode()).isEqualTo(503);
        });
        // ... until an agent reaches it again: received later, it wins, whatever the other's clock says
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            publish("skew", leader("skew", "skew-1", 5_000_001L));
            assertThat(given().get("/route/skew/skew-1/leader").statusCode()).isEqualTo(200);
        });
        Response seen = given().auth().oauth2(TOKENS.get("viewer")).get("/api/v1/clusters/skew/observations");
        assertThat(seen.statusCode()).isEqualTo(200);
        assertThat(seen.jsonPath().getLong("find { it.observerId == 'agent-behind' }.clockOffsetMillis"))
                .isBetween(-610_000L, -599_000L);
        assertThat(seen.jsonPath().getLong("find { it.observerId == 'agent-ahead' }.clockOffsetMillis"))
                .isBetween(590_000L, 601_000L);
        assertThat(seen.jsonPath().getLong("find { it.observerId == 'agent-t' }.clockOffsetMillis"))
                .isBetween(-10_000L, 1_000L);
        assertThat(seen.jsonPath().getString("find { it.observerId == 'agent-behind' }.receivedAt")).isNotNull();
    }

    /** {@code o} as agent {@code agent} reports it, its clock {@code aheadMillis} ahead of the true time. */
    private static NodeObserved by(NodeObserved o, String agent, long aheadMillis) {
        return new NodeObserved(o.clusterId(), o.node(), agent, "zone-" + agent, Instant.now().plusMillis(aheadMillis),
                o.probeMillis(), o.engine(), o.reachable(), o.error(), o.role(), o.readOnly(), o.timeline(),
                o.currentLsn(), o.receivedLsn(), o.replayedLsn(), o.lagBytes(), o.lagMillis(), o.walReceiver(),
                o.replicas(), o.synchronousStandbyNames(), o.serverVersion(), null, null, null, null);
    }

    private static NodeObserved unreachable(String cluster, String node) {
        return new NodeObserved(cluster, node, "agent-t", "zone-t", Instant.now(), 800L, Engine.POSTGRESQL, false,
                new io.regent.events.ProbeError(io.regent.events.ProbeErrorKind.REFUSED, "connection refused"),
                NodeRole.UNKNOWN, null, null, null, null, null, null, null, null, List.of(), null, null, null, null,
                null, null);
    }

    private static TopologyChanged topology(String cluster, long epoch, String leader) {
        List<TopologyNode> nodes = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            String name = cluster + "-" + i;
            boolean isLeader = name.equals(leader);
            nodes.add(new TopologyNode(name, "127.0.0.1", 5440 + i, "zone-" + i, isLeader ? NodeRole.LEADER
                    : NodeRole.FOLLOWER, 100, isLeader ? null : leader, List.of()));
        }
        return new TopologyChanged(cluster, epoch, Engine.POSTGRESQL, leader, nodes, null, false, Instant.now(),
                "test", null);
    }

    private static NodeObserved leader(String cluster, String node, long lsn) {
        return new NodeObserved(cluster, node, "agent-t", "zone-t", Instant.now(), 2L, Engine.POSTGRESQL, true, null,
                NodeRole.LEADER, false, 2L, lsn, null, null, null, null, null, List.of(), null, "15", null, null, null, null);
    }

    private static NodeObserved follower(String cluster, String node, long replayed) {
        return follower(cluster, node, replayed, 5441);
    }

    /** A follower whose WAL receiver streams from the node at {@code senderPort}. */
    private static NodeObserved follower(String cluster, String node, long replayed, int senderPort) {
        WalReceiverState wal = new WalReceiverState("streaming", "127.0.0.1", senderPort, 2L, replayed, Instant.now(),
                Instant.now(), null, 0L);
        return new NodeObserved(cluster, node, "agent-t", "zone-t", Instant.now(), 2L, Engine.POSTGRESQL, true, null,
                NodeRole.FOLLOWER, true, 2L, null, replayed, replayed, 0L, 0L, wal, List.of(), null, "15", null, null, null, null);
    }

    private static void publish(String cluster, RegentEvent event) {
        String topic = event instanceof TopologyChanged ? Topics.TOPOLOGY.name() : Topics.NODE_HEALTH.name();
        try (KafkaProducer<String, RegentEvent> producer = new KafkaProducer<>(LiveFeedTest.producerConfig(),
                new StringSerializer(),
                new RegentEventSerializer(URI.create("/regent/test")))) {
            producer.send(new ProducerRecord<>(topic, cluster, event)).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot publish " + event, e);
        }
    }

    /** The command of {@code type} with request id {@code id} on the command topic, once it is there. */
    private static <T extends RegentEvent> T awaitCommand(Class<T> type, UUID id,
            java.util.function.Function<T, UUID> requestId) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> commands().stream().filter(type::isInstance)
                .map(type::cast).filter(c -> requestId.apply(c).equals(id)).findFirst().orElse(null), c -> c != null);
    }

    private static List<RegentEvent> commands() {
        return TopicReader.readAll(KafkaTestResource.broker(), Topics.COMMANDS.name()).stream()
                .map(r -> r.value()).filter(v -> v != null).map(EventEnvelope::data).toList();
    }
}
