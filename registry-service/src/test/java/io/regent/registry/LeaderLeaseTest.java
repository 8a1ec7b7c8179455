package io.regent.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The leader lease: granted only to the leader at the cluster's epoch, measured on the database's clock,
 * never renewed once a failover of that leader is on record, and given up only by its holder.
 */
@QuarkusTest
class LeaderLeaseTest {

    @Test
    void onlyTheLeaderAtTheCurrentEpochGetsTheLeaseAndItRunsOnTheDatabasesClock() throws Exception {
        String id = "lease-grant";
        Api.createCluster(id);
        Api.as(Api.VIEWER).get(lease(id)).then().statusCode(200).body("node", nullValue())
                .body("remainingMillis", nullValue());

        renew(id, id + "-1", 0, "agent-1", 5_000).then().statusCode(200).body("node", equalTo(id + "-1"))
                .body("epoch", equalTo(0)).body("holder", equalTo("agent-1"))
                .body("remainingMillis", greaterThan(4_000)).body("remainingMillis", lessThanOrEqualTo(5_000));
        renew(id, id + "-2", 0, "agent-2", 5_000).then().statusCode(409).contentType("application/problem+json")
                .body("code", equalTo("not-leader")).body("currentLeader", equalTo(id + "-1"))
                .body("detail", containsString("led by " + id + "-1 at epoch 0, not by " + id + "-2"));
        renew(id, id + "-1", 7, "agent-1", 5_000).then().statusCode(409).body("code", equalTo("not-leader"))
                .body("currentEpoch", equalTo(0));

        renew(id, id + "-1", 0, "agent-1", 1_000).then().statusCode(200);
        Thread.sleep(1_300);
        long remaining = Api.as(Api.VIEWER).get(lease(id)).then().statusCode(200).extract().jsonPath()
                .getLong("remainingMillis");
        assertThat(remaining).as("ran out about 300 ms ago").isNegative().isGreaterThan(-5_000);
    }

    @Test
    void noRenewalOnceAFailoverOfTheLeaderIsOnRecordAndTheHolderMayGiveItUp() {
        String id = "lease-failover";
        Api.createCluster(id);
        renew(id, id + "-1", 0, "agent-1", 10_000).then().statusCode(200);
        Api.as(Api.SERVICE).body("{\"id\":\"" + UUID.randomUUID() + "\",\"kind\":\"FAILOVER\",\"fromNode\":\"" + id
                + "-1\",\"toNode\":\"" + id + "-2\",\"epochBefore\":0,\"reason\":\"test\"}")
                .post("/api/v1/clusters/" + id + "/operations").then().statusCode(201);

        renew(id, id + "-1", 0, "agent-1", 10_000).then().statusCode(409).body("code", equalTo("failover-running"))
                .body("detail", containsString("Fence the node now"));
        // the lease granted before the failover was recorded still runs: the failover waits it out
        Api.as(Api.SERVICE).get(lease(id)).then().statusCode(200).body("node", equalTo(id + "-1"))
                .body("remainingMillis", greaterThan(5_000));

        Api.as(Api.SERVICE).delete(lease(id) + "?holder=someone-else").then().statusCode(404)
                .contentType("application/problem+json");
        Api.as(Api.SERVICE).delete(lease(id) + "?holder=agent-1").then().statusCode(204);
        Api.as(Api.SERVICE).get(lease(id)).then().statusCode(200).body("node", nullValue());
    }

    @Test
    void aRefusedFailoverIsRecordedFinishedAndNeverHoldsTheLeaseBack() {
        String id = "lease-refusal";
        Api.createCluster(id);
        String reason = "leader " + id + "-1 unreachable; no follower can be promoted";
        Api.as(Api.SERVICE).body("{\"kind\":\"FAILOVER\",\"fromNode\":\"" + id + "-1\",\"epochBefore\":0,"
                + "\"reason\":\"" + reason + "\",\"refused\":true}")
                .post("/api/v1/clusters/" + id + "/operations").then().statusCode(201)
                .body("status", equalTo("FAILED")).body("error", equalTo(reason))
                .body("phases[0].name", equalTo("detected")).body("phases[0].detail", equalTo(reason))
                .body("finishedAt", org.hamcrest.Matchers.notNullValue());

        // the leader (a fresh cluster's, still starting, say) keeps its lease: nothing runs against it
        renew(id, id + "-1", 0, "agent-1", 5_000).then().statusCode(200).body("node", equalTo(id + "-1"));
        // and a real failover may still be recorded after the refusal
        Api.as(Api.SERVICE).body("{\"kind\":\"FAILOVER\",\"fromNode\":\"" + id + "-1\",\"toNode\":\"" + id
                + "-2\",\"epochBefore\":0,\"reason\":\"test\"}")
                .post("/api/v1/clusters/" + id + "/operations").then().statusCode(201).body("status",
                        equalTo("RUNNING"));

        Api.as(Api.SERVICE).body("{\"kind\":\"FAILOVER\",\"fromNode\":\"" + id + "-1\",\"epochBefore\":0,"
                + "\"refused\":true}").post("/api/v1/clusters/" + id + "/operations").then().statusCode(422)
                .contentType("application/problem+json").body("detail", containsString("say why"));
    }

    @Test
    void leasesAreTheServicesAndBadRequestsAreClientErrors() {
        String id = "lease-auth";
        Api.createCluster(id);
        Api.as(Api.OPERATOR).body(Map.of("node", id + "-1", "epoch", 0, "holder", "x", "leaseMillis", 5_000))
                .put(lease(id)).then().statusCode(403);
        Api.as(Api.ADMIN).delete(lease(id) + "?holder=x").then().statusCode(403);
        renew(id, id + "-1", 0, "agent-1", 500).then().statusCode(400).contentType("application/problem+json");
        renew(id, id + "-1", 0, "agent-1", 120_000).then().statusCode(400);
        renew(id, "", 0, "agent-1", 5_000).then().statusCode(400);
        renew("lease-nope", "lease-nope-1", 0, "agent-1", 5_000).then().statusCode(404)
                .contentType("application/problem+json");
        Api.as(Api.VIEWER).get(lease("lease-nope")).then().statusCode(404);
        Api.as(Api.SERVICE).delete(lease(id)).then().statusCode(400).contentType("application/problem+json");
    }

    private static String lease(String cluster) {
        return "/api/v1/clusters/" + cluster + "/leader-lease";
    }

    private static Response renew(String cluster, String node, long epoch, String holder, long leaseMillis) {
        return Api.as(Api.SERVICE).body(Map.of("node", node, "epoch", epoch, "holder", holder, "leaseMillis",
                leaseMillis)).put(lease(cluster));
    }
}
