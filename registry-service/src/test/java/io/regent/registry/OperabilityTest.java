package io.regent.registry;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;

import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** What operators and tooling rely on: readiness of the dependencies, metrics, the API document. */
@QuarkusTest
class OperabilityTest {

    /**
     * Readiness is the database: a Kafka outage must not take every replica out of the load balancer (the
     * API, the leader-lease renewals) - the outbox holds the events meanwhile.
     */
    @Test
    void readinessCoversTheDatabaseButNotKafka() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks.name", hasItems("Database connections health check"))
                .body("checks.name", not(hasItem(containsString("Kafka"))));
    }

    @Test
    void prometheusMetricsIncludeTheOutboxAndHttpServer() {
        Api.createCluster("metrics");
        given().get("/q/metrics").then().statusCode(200)
                .body(containsString("regent_outbox_backlog"))
                .body(containsString("regent_outbox_published"))
                .body(containsString("http_server_requests_seconds_count"));
    }

    @Test
    void theOpenApiDocumentDescribesTheApiAndItsSecurity() {
        given().accept("application/json").get("/q/openapi").then().statusCode(200)
                .body("paths.'/api/v1/clusters/{id}/topology'.put.summary", containsString("Compare-and-set"))
                .body("components.securitySchemes.SecurityScheme.type", equalTo("http"));
        given().get("/q/swagger-ui/").then().statusCode(200);
    }
}
