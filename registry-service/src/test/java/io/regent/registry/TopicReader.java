package io.regent.registry;

import io.regent.events.EventEnvelope;
import io.regent.testkit.quarkus.KafkaTestResource;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** The testkit's topic reader, pointed at the broker the application under test uses. */
final class TopicReader {

    private TopicReader() {
    }

    static List<ConsumerRecord<String, EventEnvelope>> readAll(String topic, String key) {
        return io.regent.testkit.kafka.TopicReader.readAll(KafkaTestResource.broker(), topic, key);
    }
}
