package io.regent.registry;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.regent.events.KafkaAccess;
import io.regent.testkit.quarkus.KafkaTestResource;
import io.regent.testkit.quarkus.PostgresTestResource;

/** Every test of this module runs against a real PostgreSQL and a real Kafka broker. */
@QuarkusTestResource(PostgresTestResource.class)
@QuarkusTestResource(value = KafkaTestResource.class, initArgs = @ResourceArg(name = "principal",
        value = KafkaAccess.REGISTRY))
public final class TestInfrastructure {
    private TestInfrastructure() {
    }
}
