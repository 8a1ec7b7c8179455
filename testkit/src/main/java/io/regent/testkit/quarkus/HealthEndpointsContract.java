package io.regent.testkit.quarkus;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import org.junit.jupiter.api.Test;

/**
 * What every Regent service answers to orchestrators: implement it in a {@code @QuarkusTest}
 * of the service. Kubernetes probes and docker-compose health checks read these endpoints.
 */
public interface HealthEndpointsContract {

    @Test
    default void livenessAnswersUpAsJson() {
        given().when().get("/q/health/live")
                .then().statusCode(200)
                .contentType(startsWith("application/json"))
                .body("status", equalTo("UP"));
    }

    @Test
    default void readinessAnswersUpAsJson() {
        given().when().get("/q/health/ready")
                .then().statusCode(200)
                .contentType(startsWith("application/json"))
                .body("status", equalTo("UP"));
    }

    @Test
    default void anUnknownHealthGroupIsNotFound() {
        given().when().get("/q/health/no-such-group")
                .then().statusCode(404);
    }
}
