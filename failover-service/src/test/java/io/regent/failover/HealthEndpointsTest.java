package io.regent.failover;

import io.quarkus.test.junit.QuarkusTest;
import io.regent.testkit.quarkus.HealthEndpointsContract;

/** The failover-service boots as a Quarkus application and answers the health endpoints. */
@QuarkusTest
class HealthEndpointsTest implements HealthEndpointsContract {
}
