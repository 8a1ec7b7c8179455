package io.regent.testkit.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.regent.testkit.kafka.KafkaBroker;
import java.util.Map;

/**
 * A real Kafka broker with Regent's topics for a {@code @QuarkusTest}:
 * {@code @QuarkusTestResource(KafkaTestResource.class)}. Sets {@code kafka.bootstrap.servers}.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

    private static volatile KafkaBroker current;

    private KafkaBroker broker;

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
        return Map.of("kafka.bootstrap.servers", broker.bootstrapServers());
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
            current = null;
        }
    }
}
