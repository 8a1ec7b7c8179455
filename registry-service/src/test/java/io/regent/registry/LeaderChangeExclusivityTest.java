package io.regent.registry;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * At most one failover or switchover runs per cluster: the operation record is the lock two
 * failover-service instances meet at, and a retried create with the same id is not a second one.
 */
@QuarkusTest
class LeaderChangeExclusivityTest {

    @Test
    void aSecondLeaderChangeIsRefusedWhileOneRunsAndAllowedAfterIt() {
        String id = "solo";
        Api.createCluster(id);
        UUID first = UUID.randomUUID();
        create(id, first, "FAILOVER").then().statusCode(201).body("operationId", equalTo(first.toString()));
        create(id, first, "FAILOVER").then().statusCode(201).body("operationId", equalTo(first.toString()))
                .body("status", equalTo("RUNNING"));

        create(id, UUID.randomUUID(), "SWITCHOVER").then().statusCode(409)
                .contentType("application/problem+json")
                .body("runningOperationId", equalTo(first.toString()))
                .body("detail", containsString("already has FAILOVER " + first + " running (solo-1 -> solo-2)"));
        create(id, UUID.randomUUID(), "REJOIN").then().statusCode(201); // not a leader change

        Api.as(Api.SERVICE).body("{\"status\":\"FAILED\",\"error\":\"drill\"}")
                .post("/api/v1/operations/" + first + "/finish").then().statusCode(200);
        create(id, UUID.randomUUID(), "SWITCHOVER").then().statusCode(201);
    }

    private static io.restassured.response.Response create(String cluster, UUID operation, String kind) {
        return Api.as(Api.SERVICE).body("{\"id\":\"" + operation + "\",\"kind\":\"" + kind + "\",\"fromNode\":\""
                + cluster + "-1\",\"toNode\":\"" + cluster + "-2\",\"reason\":\"test\"}")
                .post("/api/v1/clusters/" + cluster + "/operations");
    }
}
