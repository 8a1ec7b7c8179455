package io.regent.registry;

import io.quarkus.test.junit.QuarkusTest;
import io.regent.testkit.quarkus.HealthEndpointsContract;

/** The registry-service boots as a Quarkus application and answers the health endpoints. */
@QuarkusTest
class HealthEndpointsTest implements HealthEndpointsContract {
}
