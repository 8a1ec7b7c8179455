package io.regent.registry;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input gets a clear RFC 9457 problem naming the field and the fix, with the right status,
 * never a 500 and never a stack trace - and it changes nothing.
 */
@QuarkusTest
class ValidationMatrixTest {

    private static final String C = "/api/v1/clusters";
    private static final String V = "valid";

    @BeforeEach
    void validClusterExists() {
        if (Api.as(Api.VIEWER).get(C + "/" + V).statusCode() == 404) {
            Api.createCluster(V);
        }
    }

    /**
     * @param name      what is wrong
     * @param token     who sends it
     * @param method    HTTP method
     * @param path      path
     * @param body      raw body
     * @param status    expected status
     * @param field     the field the problem must name, or null
     * @param detail    a phrase the detail must contain
     */
    record Case(String name, String token, String method, String path, String body, int status, String field,
            String detail) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        String okNode = "{\"name\":\"n\",\"host\":\"h\",\"port\":5432}";
        return Stream.of(
                new Case("cluster without id", Api.ADMIN, "POST", C,
                        "{\"displayName\":\"x\",\"engine\":\"POSTGRESQL\"}", 400, "id", "must not be blank"),
                new Case("cluster id not a slug", Api.ADMIN, "POST", C,
                        "{\"id\":\"Bad_Id\",\"displayName\":\"x\",\"engine\":\"POSTGRESQL\"}", 400, "id",
                        "lower-case"),
                new Case("unknown engine", Api.ADMIN, "POST", C,
                        "{\"id\":\"e\",\"displayName\":\"x\",\"engine\":\"ORACLE\"}", 400, "engine", "wrong type"),
                new Case("misspelt field", Api.ADMIN, "POST", C,
                        "{\"id\":\"e\",\"dispalyName\":\"x\",\"engine\":\"POSTGRESQL\"}", 400, "dispalyName",
                        "not a known field"),
                new Case("synchronous without k", Api.ADMIN, "POST", C,
                        "{\"id\":\"s\",\"displayName\":\"x\",\"engine\":\"POSTGRESQL\","
                                + "\"replication\":{\"mode\":\"SYNC_ANY\",\"syncCount\":0}}", 400,
                        "replication.syncCountConsistent", "SYNC_ANY needs syncCount >= 1"),
                new Case("synchronous ANY 2 with one standby: the leader could never acknowledge", Api.ADMIN, "POST",
                        C, "{\"id\":\"k\",\"displayName\":\"x\",\"engine\":\"POSTGRESQL\","
                                + "\"replication\":{\"mode\":\"SYNC_ANY\",\"syncCount\":2},\"nodes\":[" + okNode + ","
                                + okNode.replace("\"n\"", "\"m\"").replace("5432", "5433") + "]}", 422,
                        "replication.syncCount", "synchronous ANY 2 needs at least 2 standbys, but cluster 'k' would "
                                + "have 1"),
                new Case("raising k above the standbys", Api.ADMIN, "PUT", C + "/" + V,
                        "{\"displayName\":\"x\",\"replication\":{\"mode\":\"SYNC_ANY\",\"syncCount\":9}}", 422, "replication.syncCount",
                        "synchronous ANY 9 needs at least 9 standbys"),
                new Case("port out of range", Api.ADMIN, "POST", C,
                        "{\"id\":\"p\",\"displayName\":\"x\",\"engine\":\"POSTGRESQL\",\"nodes\":[{\"name\":\"a\","
                                + "\"host\":\"h\",\"port\":70000}]}", 400, "nodes[0].port", "less than or equal"),
                new Case("policy window too short", Api.ADMIN, "POST", C,
                        "{\"id\":\"w\",\"displayName\":\"x\",\"engine\":\"POSTGRESQL\",\"failoverPolicy\":"
                                + "{\"detectionWindowMillis\":10}}", 400, "failoverPolicy.detectionWindowMillis",
                        "greater than or equal to 500"),
                new Case("duplicate node names", Api.ADMIN, "POST", C,
                        "{\"id\":\"d\",\"displayName\":\"x\",\"engine\":\"POSTGRESQL\",\"nodes\":[" + okNode + ","
                                + okNode.replace("5432", "5433") + "]}", 422, "nodes[1].name", "appears twice"),
                new Case("two leaders", Api.ADMIN, "POST", C,
                        "{\"id\":\"l\",\"displayName\":\"x\",\"engine\":\"POSTGRESQL\",\"nodes\":["
                                + "{\"name\":\"a\",\"host\":\"h\",\"port\":1,\"role\":\"LEADER\"},"
                                + "{\"name\":\"b\",\"host\":\"h\",\"port\":2,\"role\":\"LEADER\"}]}", 422,
                        "nodes[1].role", "only one node can be LEADER"),
                new Case("body not JSON", Api.ADMIN, "POST", C, "{\"id\": ", 400, null, "not valid JSON"),
                new Case("no body", Api.ADMIN, "POST", C, null, 400, null, "must not be null"),
                new Case("cluster exists", Api.ADMIN, "POST", C, "{\"id\":\"valid\",\"displayName\":\"x\","
                        + "\"engine\":\"POSTGRESQL\"}", 409, null, "already exists"),
                new Case("unknown cluster", Api.VIEWER, "GET", C + "/nope", null, 404, null, "No cluster 'nope'"),
                new Case("delete outside maintenance", Api.ADMIN, "DELETE", C + "/" + V, null, 409, null,
                        "not in maintenance"),
                new Case("page too large", Api.VIEWER, "GET", C + "?size=1000", null, 400, "size",
                        "less than or equal to 100"),
                new Case("negative page", Api.VIEWER, "GET", C + "?page=-1", null, 400, "page",
                        "greater than or equal to 0"),
                new Case("leader not a node", Api.SERVICE, "PUT", C + "/" + V + "/topology",
                        "{\"expectedEpoch\":0,\"leader\":\"ghost\"}", 422, "leader", "not a node"),
                new Case("second LEADER in roles", Api.SERVICE, "PUT", C + "/" + V + "/topology",
                        "{\"expectedEpoch\":0,\"leader\":\"valid-2\",\"roles\":{\"valid-3\":\"LEADER\"}}", 422,
                        "roles.valid-3", "only the node named in 'leader'"),
                new Case("CAS without expected epoch", Api.SERVICE, "PUT", C + "/" + V + "/topology",
                        "{\"leader\":\"valid-2\"}", 400, "expectedEpoch", "must not be null"),
                new Case("duplicate node", Api.ADMIN, "POST", C + "/" + V + "/nodes",
                        "{\"name\":\"valid-1\",\"host\":\"h\",\"port\":1}", 409, null, "already has a node"),
                new Case("node endpoint taken", Api.ADMIN, "POST", C + "/" + V + "/nodes",
                        "{\"name\":\"clash\",\"host\":\"10.0.0.1\",\"port\":5432}", 422, "port", "would both be at"),
                new Case("delete the leader node", Api.ADMIN, "DELETE", C + "/" + V + "/nodes/valid-1", null, 409,
                        null, "is the leader"),
                new Case("rename a node", Api.ADMIN, "PUT", C + "/" + V + "/nodes/valid-2",
                        "{\"name\":\"other\",\"host\":\"h\",\"port\":1}", 422, "name", "cannot be renamed"),
                new Case("maintenance without flag", Api.OPERATOR, "PUT", C + "/" + V + "/maintenance", "{}", 400,
                        "enabled", "must not be null"),
                new Case("operation of unknown kind", Api.SERVICE, "POST", C + "/" + V + "/operations",
                        "{\"kind\":\"REBOOT\"}", 400, "kind", "wrong type"),
                new Case("operation names unknown node", Api.SERVICE, "POST", C + "/" + V + "/operations",
                        "{\"kind\":\"FAILOVER\",\"toNode\":\"ghost\"}", 422, "toNode", "not a node"),
                new Case("operation id not a UUID", Api.VIEWER, "GET", "/api/v1/operations/not-a-uuid", null, 404,
                        null, "Nothing is at"),
                new Case("unknown operation", Api.VIEWER, "GET",
                        "/api/v1/operations/00000000-0000-0000-0000-000000000000", null, 404, null,
                        "No operation"),
                new Case("claim without owner", Api.SERVICE, "POST",
                        "/api/v1/operations/00000000-0000-0000-0000-000000000000/claim", "{\"leaseMillis\":5000}", 400,
                        "owner", "must not be blank"),
                new Case("claim with a lease too short", Api.SERVICE, "POST",
                        "/api/v1/operations/00000000-0000-0000-0000-000000000000/claim",
                        "{\"owner\":\"f\",\"leaseMillis\":5}", 400, "leaseMillis", "greater than or equal to 100"),
                new Case("guard without token", Api.SERVICE, "POST",
                        "/api/v1/operations/00000000-0000-0000-0000-000000000000/guard",
                        "{\"step\":\"promote\",\"leaseMillis\":5000}", 400, "ownerToken", "must not be null"),
                new Case("claim of an unknown operation", Api.SERVICE, "POST",
                        "/api/v1/operations/00000000-0000-0000-0000-000000000000/claim",
                        "{\"owner\":\"f\",\"leaseMillis\":5000}", 404, null, "No operation"),
                new Case("unknown path", Api.VIEWER, "GET", "/api/v1/nothing-here", null, 404, null, "/api/v1"),
                new Case("wrong method", Api.VIEWER, "PATCH", C, "{}", 405, null, "not allowed"))
                .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputGetsAClearProblem(Case c) {
        var request = given().auth().oauth2(c.token()).contentType("application/json");
        if (c.body() != null) {
            request = request.body(c.body());
        }
        Response response = request.request(c.method(), c.path());

        assertThat(response.statusCode()).as(response.asString()).isEqualTo(c.status());
        assertThat(response.contentType()).startsWith("application/problem+json");
        JsonPath problem = response.jsonPath();
        assertThat(problem.getInt("status")).isEqualTo(c.status());
        assertThat(problem.getString("title")).isNotBlank();
        assertThat(problem.getString("detail")).contains(c.detail());
        if (c.field() != null) {
            List<Map<String, String>> errors = problem.getList("errors");
            assertThat(errors).as("errors of %s", response.asString())
                    .anySatisfy(e -> assertThat(e.get("field")).isEqualTo(c.field()));
        }
        assertThat(response.asString()).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain(".java:");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badInputChangesNothing(Case c) {
        String before = Api.as(Api.VIEWER).get(C + "/" + V).then().statusCode(200).extract().asString();
        var request = given().auth().oauth2(c.token()).contentType("application/json");
        if (c.body() != null) {
            request = request.body(c.body());
        }
        request.request(c.method(), c.path()).then().statusCode(c.status());

        assertThat(Api.as(Api.VIEWER).get(C + "/" + V).then().statusCode(200).extract().asString())
                .isEqualTo(before);
    }
}
