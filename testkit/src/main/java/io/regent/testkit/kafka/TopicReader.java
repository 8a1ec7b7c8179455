package io.regent.testkit.kafka;

import io.regent.events.EventEnvelope;
import io.regent.events.kafka.RegentEventDeserializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a topic of Regent events from the beginning to its current end offsets, as a brand-new
 * subscriber would (a fresh consumer group, nothing committed).
 */
public final class TopicReader {

    private TopicReader() {
    }

    /** Every record of the topic, in partition order (tombstones have a null value). */
    public static List<ConsumerRecord<String, EventEnvelope>> readAll(KafkaBroker broker, String topic) {
        return readAll(broker.clientConfig(io.regent.events.KafkaAccess.ADMIN), topic);
    }

    /** As {@link #readAll(KafkaBroker, String)}, with these client settings (at least bootstrap and credentials). */
    public static List<ConsumerRecord<String, EventEnvelope>> readAll(Map<String, Object> clientConfig, String topic) {
        return read(clientConfig, topic, new RegentEventDeserializer());
    }

    /** Every record of the topic as its bytes, with headers (e.g. to check a command's signature). */
    public static List<ConsumerRecord<String, byte[]>> readAllRaw(KafkaBroker broker, String topic) {
        return read(broker.clientConfig(io.regent.events.KafkaAccess.ADMIN), topic,
                new org.apache.kafka.common.serialization.ByteArrayDeserializer());
    }

    private static <V> List<ConsumerRecord<String, V>> read(Map<String, Object> clientConfig, String topic,
            org.apache.kafka.common.serialization.Deserializer<V> values) {
        Properties props = new Properties();
        props.putAll(clientConfig);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "testkit-reader-" + UUID.randomUUID());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // what applications see: the registry publishes in transactions, aborted batches are not events
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<String, V>> records = new ArrayList<>();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end offsets " + end);
                }
                try {
                    consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                } catch (RecordDeserializationException unreadable) {
                    // a record no Regent version wrote (a test publishes one on purpose): not an event
                    consumer.seek(unreadable.topicPartition(), unreadable.offset() + 1);
                }
            }
        }
        return records;
    }

    /** The records of one key (one cluster), in order. */
    public static List<ConsumerRecord<String, EventEnvelope>> readAll(KafkaBroker broker, String topic,
            String key) {
        return readAll(broker, topic).stream().filter(r -> key.equals(r.key())).toList();
    }
}
