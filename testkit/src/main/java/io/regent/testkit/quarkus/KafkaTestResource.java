package io.regent.testkit.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.regent.testkit.kafka.KafkaBroker;
import java.util.Map;

/**
 * A real Kafka broker with Regent's topics for a {@code @QuarkusTest}:
 * {@code @QuarkusTestResource(KafkaTestResource.class)}. Sets {@code kafka.bootstrap.servers}.
 */
public class KafkaTestResource implements QuarkusTestResourceLifecycleManager {

    private KafkaBroker broker;

    @Override
    public Map<String, String> start() {
        broker = KafkaBroker.start();
        broker.createRegentTopics();
        return Map.of("kafka.bootstrap.servers", broker.bootstrapServers());
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
        }
    }
}
