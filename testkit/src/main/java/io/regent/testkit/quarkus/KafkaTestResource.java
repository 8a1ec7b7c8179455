package io.regent.testkit.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.regent.events.KafkaAccess;
import io.regent.testkit.kafka.KafkaBroker;
import io.regent.testkit.kafka.KafkaCredentials;
import java.util.Map;

/**
 * A real Kafka broker with Regent's topics for a {@code @QuarkusTest}:
 * {@code @QuarkusTestResource(value = KafkaTestResource.class, initArgs = @ResourceArg(name = "principal",
 * value = KafkaAccess.GATEWAY))}. Sets {@code kafka.bootstrap.servers} and the SASL settings of that
 * principal - the service under test gets exactly its own grants.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

    private static volatile KafkaBroker current;

    private KafkaBroker broker;
    private String principal = KafkaAccess.ADMIN;

    @Override
    public void init(Map<String, String> initArgs) {
        principal = initArgs.getOrDefault("principal", KafkaAccess.ADMIN);
    }

    /** The broker of the running test resource, for tests that stop and restart it. */
    public static KafkaBroker broker() {
        KafkaBroker broker = current;
        if (broker == null) {
            throw new IllegalStateException("no KafkaTestResource is running");
        }
        return broker;
    }

    @Override
    public Map<String, String> start() {
        broker = KafkaBroker.start();
        current = broker;
        broker.createRegentTopics();
        return KafkaCredentials.quarkusProperties(broker.clientConfig(principal));
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
            current = null;
        }
    }
}
