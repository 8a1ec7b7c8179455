package io.regent.gateway;

import io.quarkus.test.junit.QuarkusTest;
import io.regent.testkit.quarkus.HealthEndpointsContract;

/** The api-gateway boots as a Quarkus application and answers the health endpoints. */
@QuarkusTest
class HealthEndpointsTest implements HealthEndpointsContract {
}
