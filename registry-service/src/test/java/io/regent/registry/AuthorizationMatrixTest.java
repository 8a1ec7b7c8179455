package io.regent.registry;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Who may do what: viewers read, operators also toggle maintenance, admins manage clusters and
 * nodes, services write topology and operations. Each row runs against fresh state, so an allowed
 * request must really succeed (not just pass the security check).
 */
@QuarkusTest
class AuthorizationMatrixTest {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final List<String> ROLES = List.of("viewer", "operator", "admin", "service");

    /** An endpoint: how to prepare fresh state and call it, and which roles succeed with which status. */
    record Endpoint(String name, Supplier<Call> prepare, int success, List<String> allowed) {
        @Override
        public String toString() {
            return name;
        }
    }

    record Call(String method, String path, String body) {
    }

    static Stream<Arguments> matrix() {
        List<String> readers = ROLES;
        List<Endpoint> endpoints = List.of(
                new Endpoint("GET clusters", () -> new Call("GET", "/api/v1/clusters", null), 200, readers),
                new Endpoint("GET cluster", () -> new Call("GET", "/api/v1/clusters/" + fresh(), null), 200, readers),
                new Endpoint("GET nodes", () -> new Call("GET", "/api/v1/clusters/" + fresh() + "/nodes", null), 200,
                        readers),
                new Endpoint("GET topology", () -> new Call("GET", "/api/v1/clusters/" + fresh() + "/topology", null),
                        200, readers),
                new Endpoint("GET operations", () -> new Call("GET", "/api/v1/clusters/" + fresh() + "/operations",
                        null), 200, readers),
                new Endpoint("GET operation", () -> new Call("GET", "/api/v1/operations/" + freshOperation(), null),
                        200, readers),
                new Endpoint("GET credentials", () -> new Call("GET", "/api/v1/clusters/" + freshWithLogin()
                        + "/credentials", null), 200, List.of("service")),
                new Endpoint("POST cluster", () -> new Call("POST", "/api/v1/clusters", json(Api.cluster(
                        "authz-new-" + SEQUENCE.incrementAndGet()))), 201, List.of("admin")),
                new Endpoint("PUT cluster", () -> new Call("PUT", "/api/v1/clusters/" + fresh(),
                        "{\"displayName\":\"renamed\"}"), 200, List.of("admin")),
                new Endpoint("DELETE cluster", () -> new Call("DELETE", "/api/v1/clusters/" + freshInMaintenance(),
                        null), 204, List.of("admin")),
                new Endpoint("POST node", () -> new Call("POST", "/api/v1/clusters/" + fresh() + "/nodes",
                        "{\"name\":\"extra\",\"host\":\"10.0.0.9\",\"port\":5432}"), 201, List.of("admin")),
                new Endpoint("PUT node", () -> {
                    String id = fresh();
                    return new Call("PUT", "/api/v1/clusters/" + id + "/nodes/" + id + "-2",
                            "{\"name\":\"" + id + "-2\",\"host\":\"10.0.0.22\",\"port\":5433}");
                }, 200, List.of("admin")),
                new Endpoint("DELETE node", () -> {
                    String id = fresh();
                    return new Call("DELETE", "/api/v1/clusters/" + id + "/nodes/" + id + "-3", null);
                }, 204, List.of("admin")),
                new Endpoint("PUT maintenance", () -> new Call("PUT", "/api/v1/clusters/" + fresh() + "/maintenance",
                        "{\"enabled\":true}"), 200, List.of("operator", "admin", "service")),
                new Endpoint("PUT topology", () -> {
                    String id = fresh();
                    return new Call("PUT", "/api/v1/clusters/" + id + "/topology",
                            "{\"expectedEpoch\":0,\"leader\":\"" + id + "-2\"}");
                }, 200, List.of("service")),
                new Endpoint("POST operation", () -> new Call("POST", "/api/v1/clusters/" + fresh() + "/operations",
                        "{\"kind\":\"SWITCHOVER\"}"), 201, List.of("service")),
                new Endpoint("POST phase", () -> new Call("POST", "/api/v1/operations/" + freshOperation() + "/phases",
                        "{\"name\":\"decided\"}"), 200, List.of("service")),
                new Endpoint("POST finish", () -> new Call("POST", "/api/v1/operations/" + freshOperation()
                        + "/finish", "{\"status\":\"CANCELLED\"}"), 200, List.of("service")),
                new Endpoint("POST claim", () -> new Call("POST", "/api/v1/operations/" + freshOperation()
                        + "/claim", "{\"owner\":\"failover-1\",\"leaseMillis\":5000}"), 200, List.of("service")),
                new Endpoint("POST guard", () -> {
                    String op = freshOperation();
                    long token = Api.as(Api.SERVICE).body("{\"owner\":\"failover-1\",\"leaseMillis\":5000}")
                            .post("/api/v1/operations/" + op + "/claim").then().statusCode(200).extract().jsonPath()
                            .getLong("ownerToken");
                    return new Call("POST", "/api/v1/operations/" + op + "/guard", "{\"ownerToken\":" + token
                            + ",\"step\":\"promote\",\"leaseMillis\":5000}");
                }, 200, List.of("service")));
        List<Arguments> rows = new ArrayList<>();
        for (Endpoint endpoint : endpoints) {
            for (String role : ROLES) {
                rows.add(Arguments.of(endpoint, role, endpoint.allowed().contains(role) ? endpoint.success() : 403));
            }
            rows.add(Arguments.of(endpoint, "anonymous", 401));
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} as {1} -> {2}")
    @MethodSource("matrix")
    void roleMatrix(Endpoint endpoint, String role, int expected) {
        Call call = endpoint.prepare().get();
        RequestSpecification request = role.equals("anonymous") ? given() : given().auth().oauth2(token(role));
        request = request.contentType(ContentType.JSON).accept(ContentType.JSON);
        if (call.body() != null) {
            request = request.body(call.body());
        }
        var response = request.request(call.method(), call.path()).then().statusCode(expected);
        if (expected >= 400) {
            response.contentType("application/problem+json").body("status", equalTo(expected));
        }
        if (expected == 401) {
            response.header("WWW-Authenticate", "Bearer");
        }
    }

    @Test
    void anExpiredTokenIsRejected() {
        given().auth().oauth2(Tokens.expired("late", "regent-admin")).get("/api/v1/clusters")
                .then().statusCode(401).contentType("application/problem+json");
    }

    @Test
    void aTokenSignedByAnotherKeyIsRejected() throws Exception {
        given().auth().oauth2(Tokens.forgedForRoles("mallory", "regent-admin")).get("/api/v1/clusters")
                .then().statusCode(401).contentType("application/problem+json");
    }

    @Test
    void aValidTokenWithoutRegentRolesIsForbidden() {
        given().auth().oauth2(Tokens.forRoles("nobody", "offline_access")).get("/api/v1/clusters")
                .then().statusCode(403).contentType("application/problem+json");
    }

    @Test
    void healthAndTheOpenApiDocumentNeedNoToken() {
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/openapi").then().statusCode(200);
    }

    private static String token(String role) {
        return switch (role) {
            case "viewer" -> Api.VIEWER;
            case "operator" -> Api.OPERATOR;
            case "admin" -> Api.ADMIN;
            case "service" -> Api.SERVICE;
            default -> throw new IllegalArgumentException(role);
        };
    }

    private static String fresh() {
        String id = "authz-" + SEQUENCE.incrementAndGet();
        Api.createCluster(id);
        return id;
    }

    private static String freshWithLogin() {
        String id = fresh();
        Api.as(Api.ADMIN).body(Map.of("displayName", id, "credentials", Map.of("username", "own", "password",
                "own-secret"))).put("/api/v1/clusters/" + id).then().statusCode(200);
        return id;
    }

    private static String freshInMaintenance() {
        String id = fresh();
        Api.as(Api.OPERATOR).body("{\"enabled\":true}").put("/api/v1/clusters/" + id + "/maintenance")
                .then().statusCode(200);
        return id;
    }

    private static String freshOperation() {
        return Api.as(Api.SERVICE).body("{\"kind\":\"FAILOVER\"}").post("/api/v1/clusters/" + fresh() + "/operations")
                .then().statusCode(201).extract().path("operationId");
    }

    private static String json(Map<String, Object> body) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
