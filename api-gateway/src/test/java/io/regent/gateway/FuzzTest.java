package io.regent.gateway;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.regent.testkit.quarkus.KeycloakTestResource;
import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed input on every endpoint, as an operator with every right: each must be answered with a
 * 4xx problem (or, where the input happens to be acceptable, a 2xx/503 that is the endpoint's normal
 * answer) - never a 5xx from the gateway itself, never a stack trace. The corpus is fixed hostile
 * shapes plus seeded random bytes, so a failure reproduces. (Kafka and Keycloak come from
 * GatewayApiTest's test resources.)
 */
@QuarkusTest
public class FuzzTest {

    private static final long SEED = Long.getLong("regent.fuzz.seed", 20261126L);
    private static final String[][] BODY_ENDPOINTS = {
            {"POST", "/api/v1/clusters/alpha/switchover"},
            {"POST", "/api/v1/clusters/alpha/failover"},
            {"PUT", "/api/v1/clusters/alpha/maintenance"}};

    static Stream<Arguments> bodies() {
        List<String> corpus = corpus();
        List<Arguments> rows = new ArrayList<>();
        for (String[] endpoint : BODY_ENDPOINTS) {
            for (String body : corpus) {
                rows.add(Arguments.of(endpoint[0], endpoint[1], body));
            }
        }
        return rows.stream();
    }

    /** Hostile request bodies: fixed shapes plus seeded random bytes (also used on the registry-backed endpoints). */
    public static List<String> corpus() {
        List<String> corpus = new ArrayList<>(List.of("", " ", "null", "[]", "[{}]", "\"text\"", "42", "true", "{",
                "}", "{\"candidate\":}", "{\"candidate\":null,\"expectedEpoch\":null}", "{\"candidate\":42}",
                "{\"candidate\":[\"a\"]}", "{\"candidate\":{\"x\":1}}", "{\"expectedEpoch\":\"four\"}",
                "{\"expectedEpoch\":1e400}", "{\"expectedEpoch\":9223372036854775808}", "{\"expectedEpoch\":-0.5}",
                "{\"enabled\":\"yes\"}", "{\"enabled\":null}", "{\"enabled\":true,\"until\":\"tomorrow\"}",
                "{\"enabled\":true,\"until\":12}", "{\"reason\":\"" + "x".repeat(5000) + "\"}",
                "{\"candidate\":\"" + "n".repeat(300) + "\"}", "{\"candidate\":\"\\u0000\"}",
                "{\"candidate\":\"../../etc/passwd\"}", "{\"__proto__\":{\"admin\":true}}",
                "{\"a\":" + "[".repeat(2000) + "]".repeat(2000) + "}", "{\"candidate\":\"alpha-2\",}",
                "{'candidate':'alpha-2'}", "\uFEFF{}", "{\"enabled\":true,\"enabled\":false}"));
        Random random = new Random(SEED);
        for (int i = 0; i < 20; i++) {
            byte[] bytes = new byte[1 + random.nextInt(200)];
            random.nextBytes(bytes);
            corpus.add(new String(bytes, StandardCharsets.ISO_8859_1));
        }
        corpus.addAll(List.of("{\"id\":\"" + "x".repeat(300) + "\"}", "{\"id\":\"ok\",\"engine\":\"ORACLE\"}",
                "{\"port\":\"5432\"}", "{\"port\":-1}", "{\"priority\":1.5}", "{\"nodes\":{}}", "{\"nodes\":[null]}",
                "{\"credentials\":\"secret\"}", "{\"failoverPolicy\":{\"observerQuorum\":\"all\"}}",
                "{\"replication\":{\"mode\":\"SYNC_ANY\",\"syncCount\":-3}}", "{\"tags\":[1,2]}"));
        return corpus;
    }

    @ParameterizedTest(name = "{0} {1} #{index}")
    @MethodSource("bodies")
    void aMalformedBodyIsAClientError(String method, String path, String body) {
        Response response = given().auth().oauth2(token()).contentType("application/json").body(body)
                .request(method, path);
        assertNoServerError(response, method + " " + path + " with " + abbreviate(body));
    }

    static Stream<Arguments> paths() {
        return Stream.of("/api/v1/clusters/%00/topology", "/api/v1/clusters/" + "a".repeat(500) + "/topology",
                "/api/v1/clusters/alpha%2F..%2Fbeta/topology", "/api/v1/clusters/%E2%82%AC/topology",
                "/api/v1/clusters/alpha/topology?page=-1",
                "/route/alpha/alpha-1/follower?max-lag-bytes=abc",
                "/route/alpha/alpha-1/follower?max-lag-bytes=99999999999999999999999",
                "/route/alpha/alpha-1/follower?max-lag-bytes=-1", "/route/%00/%00/leader",
                "/route/" + "c".repeat(1000) + "/n/leader", "/route/alpha/alpha-1/nothing")
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "GET {0}")
    @MethodSource("paths")
    void aMalformedPathOrParameterIsAClientError(String path) {
        Response response = given().auth().oauth2(token()).urlEncodingEnabled(false).get(path);
        assertNoServerError(response, "GET " + path);
    }

    private static void assertNoServerError(Response response, String what) {
        int status = response.statusCode();
        String body = response.asString();
        boolean routingUnavailable = status == 503 && what.contains("/route/");
        assertThat(status < 500 || routingUnavailable).as("%s -> %d %s", what, status, body).isTrue();
        assertThat(body).as(what).doesNotContain("Exception", "\tat ");
    }

    private static String token() {
        return TokenCache.VIEWER_OPERATOR;
    }

    private static String abbreviate(String body) {
        return body.length() > 60 ? body.substring(0, 60) + "..." : body;
    }

    /** One operator token for the whole class (Keycloak is up once the application is). */
    private static final class TokenCache {
        static final String VIEWER_OPERATOR = KeycloakTestResource.keycloak().userToken("operator",
                KeycloakTestResource.PASSWORD);
    }
}
