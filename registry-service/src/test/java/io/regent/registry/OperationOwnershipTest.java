package io.regent.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Intent before action (DESIGN.md invariant 1): an operation is recorded by compare-and-set on the
 * epoch, carried out by one holder at a time with a fencing token that only grows, and every step is
 * checked against the database first - so a holder that was paused past its lease finds, when it
 * wakes, that it must not touch anything.
 */
@QuarkusTest
class OperationOwnershipTest {

    @Test
    void anOperationDecidedOnAnOlderEpochIsRefusedWhenRecorded() {
        String id = "own-stale";
        Api.createCluster(id);
        cas(id, 0, id + "-2", null, null).then().statusCode(200);

        create(id, UUID.randomUUID(), "FAILOVER", 0).then().statusCode(409)
                .contentType("application/problem+json").body("code", equalTo("epoch-mismatch"))
                .body("currentEpoch", equalTo(1)).body("currentLeader", equalTo(id + "-2"));
        create(id, UUID.randomUUID(), "FENCE", 0).then().statusCode(409).body("code", equalTo("epoch-mismatch"));
        create(id, UUID.randomUUID(), "FAILOVER", 1).then().statusCode(201);
    }

    @Test
    void aLapsedHolderIsReplacedWithAHigherTokenAndEveryStepOfItsIsRefusedAfterwards() throws Exception {
        String id = "own-lapse";
        Api.createCluster(id);
        UUID op = UUID.randomUUID();
        create(id, op, "FAILOVER", 0).then().statusCode(201);

        long a = claim(op, "failover-a", 400, null).then().statusCode(200).body("owner", equalTo("failover-a"))
                .body("epoch", equalTo(0)).body("leader", equalTo(id + "-1")).extract().jsonPath().getLong("ownerToken");
        // renewing with its own token keeps it; a second claimant is refused while the lease runs
        claim(op, "failover-a", 400, a).then().statusCode(200).body("ownerToken", equalTo((int) a));
        claim(op, "failover-b", 400, null).then().statusCode(409).contentType("application/problem+json")
                .body("code", equalTo("owned")).body("owner", equalTo("failover-a"))
                .body("retryAfterMillis", greaterThan(0))
                .body("detail", containsString("carried out by failover-a"));
        guard(op, a, "promote " + id + "-2", 400).then().statusCode(200); // renews for 400 ms

        Thread.sleep(600); // a is frozen past its lease
        long b = claim(op, "failover-b", 5_000, null).then().statusCode(200).extract().jsonPath().getLong("ownerToken");
        assertThat(b).as("the fencing token grows").isGreaterThan(a);

        // a wakes up: nothing it asks for is allowed any more
        guard(op, a, "promote " + id + "-2").then().statusCode(409).body("code", equalTo("ownership-lost"))
                .body("owner", equalTo("failover-b"))
                .body("detail", containsString("token " + a + " is stale and must not promote " + id + "-2"));
        phase(op, "promoted", a).then().statusCode(409).body("code", equalTo("ownership-lost"));
        phase(op, "promoted", null).then().statusCode(409).body("code", equalTo("ownership-lost"));
        cas(id, 0, id + "-2", op, a).then().statusCode(409).body("code", equalTo("ownership-lost"));
        finish(op, "FAILED", a).then().statusCode(409).body("code", equalTo("ownership-lost"));
        Api.as(Api.VIEWER).get("/api/v1/clusters/" + id + "/topology?consistent=true").then()
                .body("epoch", equalTo(0)).body("leader", equalTo(id + "-1"));

        // b, the holder, completes it
        guard(op, b, "promote " + id + "-2").then().statusCode(200);
        phase(op, "promoted", b).then().statusCode(200);
        cas(id, 0, id + "-2", op, b).then().statusCode(200).body("epoch", equalTo(1));
        finish(op, "SUCCEEDED", b).then().statusCode(200).body("status", equalTo("SUCCEEDED"));
        guard(op, b, "re-point " + id + "-3").then().statusCode(409).body("code", equalTo("operation-finished"));
        claim(op, "failover-a", 400, null).then().statusCode(409).body("code", equalTo("operation-finished"));
    }

    @Test
    void theGuardRefusesOnceTheEpochMovedPastTheOperation() {
        String id = "own-epoch";
        Api.createCluster(id);
        UUID op = UUID.randomUUID();
        create(id, op, "SWITCHOVER", 0).then().statusCode(201);
        long token = claim(op, "failover-a", 5_000, null).then().statusCode(200).extract().jsonPath()
                .getLong("ownerToken");
        // a writer outside the operation moves the leader (an operator's manual repair, say)
        cas(id, 0, id + "-3", null, null).then().statusCode(200);
        guard(op, token, "unfence " + id + "-1").then().statusCode(409).body("code", equalTo("epoch-moved"))
                .body("currentEpoch", equalTo(1)).body("currentLeader", equalTo(id + "-3"))
                .body("detail", containsString("must not unfence " + id + "-1"));
    }

    @Test
    void onlyMatchingDetailsAreOfferedToJoinARunningLeaderChange() {
        String id = "own-join";
        Api.createCluster(id);
        UUID first = UUID.randomUUID();
        create(id, first, "FAILOVER", 0).then().statusCode(201);
        create(id, UUID.randomUUID(), "UNFENCE", 0).then().statusCode(409)
                .body("runningOperationId", equalTo(first.toString())).body("runningKind", equalTo("FAILOVER"))
                .body("runningFromNode", equalTo(id + "-1")).body("runningToNode", equalTo(id + "-2"))
                .body("runningEpochBefore", equalTo(0));
    }

    private static Response create(String cluster, UUID operation, String kind, long epoch) {
        return Api.as(Api.SERVICE).body("{\"id\":\"" + operation + "\",\"kind\":\"" + kind + "\",\"fromNode\":\""
                + cluster + "-1\",\"toNode\":\"" + cluster + "-2\",\"epochBefore\":" + epoch + ",\"reason\":\"test\"}")
                .post("/api/v1/clusters/" + cluster + "/operations");
    }

    private static Response claim(UUID op, String owner, long leaseMillis, Long token) {
        return Api.as(Api.SERVICE).body(token == null ? Map.of("owner", owner, "leaseMillis", leaseMillis)
                : Map.of("owner", owner, "leaseMillis", leaseMillis, "ownerToken", token))
                .post("/api/v1/operations/" + op + "/claim");
    }

    private static Response guard(UUID op, long token, String step) {
        return guard(op, token, step, 5_000);
    }

    private static Response guard(UUID op, long token, String step, long leaseMillis) {
        return Api.as(Api.SERVICE).body(Map.of("ownerToken", token, "step", step, "leaseMillis", leaseMillis))
                .post("/api/v1/operations/" + op + "/guard");
    }

    private static Response phase(UUID op, String name, Long token) {
        return Api.as(Api.SERVICE).body(token == null ? Map.of("name", name) : Map.of("name", name, "ownerToken", token))
                .post("/api/v1/operations/" + op + "/phases");
    }

    private static Response finish(UUID op, String status, Long token) {
        return Api.as(Api.SERVICE).body(Map.of("status", status, "ownerToken", token))
                .post("/api/v1/operations/" + op + "/finish");
    }

    private static Response cas(String id, long expected, String leader, UUID op, Long token) {
        StringBuilder body = new StringBuilder("{\"expectedEpoch\":" + expected + ",\"leader\":\"" + leader + "\"");
        if (op != null) {
            body.append(",\"operationId\":\"").append(op).append("\"");
        }
        if (token != null) {
            body.append(",\"ownerToken\":").append(token);
        }
        return Api.as(Api.SERVICE).body(body.append("}").toString()).put("/api/v1/clusters/" + id + "/topology");
    }
}
