package io.regent.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.regent.events.KafkaAccess;
import io.regent.events.TopicSpec;
import io.regent.events.Topics;
import io.regent.testkit.kafka.KafkaBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The broker refuses every write and read the access table does not grant, and serves the ones it does:
 * every principal against every topic, written out below as the table docs/security.md prints (not derived
 * from {@link KafkaAccess}, which {@link #theTableInTheCodeIsTheTableWrittenHere} compares with it).
 */
class KafkaAccessControlTest {

    private static final String HEALTH = Topics.NODE_HEALTH.name();
    private static final String TOPOLOGY = Topics.TOPOLOGY.name();
    private static final String COMMANDS = Topics.COMMANDS.name();
    private static final String OPERATIONS = Topics.OPERATIONS.name();
    /** A principal the broker knows (it authenticates) but that has no grant: e.g. a leaked test account. */
    private static final String STRANGER = "mallory";

    /** principal → (topics it may write, topics it may read), with the reason. */
    private record Access(String principal, Set<String> writes, Set<String> reads, String why) {
    }

    private static final List<Access> TABLE = List.of(
            new Access(KafkaAccess.REGISTRY, Set.of(TOPOLOGY, OPERATIONS), Set.of(TOPOLOGY),
                    "the outbox relay publishes topology and operations; its view follows topology"),
            new Access(KafkaAccess.MONITOR, Set.of(HEALTH), Set.of(TOPOLOGY),
                    "agents publish observations and learn from topology what to probe"),
            new Access(KafkaAccess.FAILOVER, Set.of(), Set.of(HEALTH, COMMANDS, TOPOLOGY),
                    "it decides from health and commands and writes only through the registry"),
            new Access(KafkaAccess.GATEWAY, Set.of(COMMANDS), Set.of(TOPOLOGY, HEALTH, OPERATIONS),
                    "operators' commands go out; what the dashboard and routing checks show comes in"),
            new Access(KafkaAccess.APPLICATION, Set.of(), Set.of(TOPOLOGY),
                    "applications follow the topology and nothing else"),
            new Access(STRANGER, Set.of(), Set.of(), "authenticated but granted nothing"));

    private static KafkaBroker broker;
    private static final Map<String, Map<String, Object>> CONFIGS = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        broker = KafkaBroker.start();
        broker.createRegentTopics();
        for (Access access : TABLE) {
            CONFIGS.put(access.principal(), access.principal().equals(STRANGER) ? broker.addUser(STRANGER)
                    : broker.clientConfig(access.principal()));
        }
        // one record on every topic, for the reads to find
        try (KafkaProducer<String, byte[]> admin = producer(broker.clientConfig(KafkaAccess.ADMIN))) {
            for (TopicSpec topic : Topics.ALL) {
                admin.send(new ProducerRecord<>(topic.name(), 0, "seed", "seed".getBytes(StandardCharsets.UTF_8)))
                        .get(30, TimeUnit.SECONDS);
            }
        }
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    static Stream<Arguments> rows() {
        List<Arguments> rows = new ArrayList<>();
        for (Access access : TABLE) {
            for (TopicSpec topic : Topics.ALL) {
                rows.add(Arguments.of(access.principal(), topic.name(), "write", access.writes().contains(topic.name()),
                        access.why()));
                rows.add(Arguments.of(access.principal(), topic.name(), "read", access.reads().contains(topic.name()),
                        access.why()));
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} {2} {1}: {3}")
    @MethodSource("rows")
    void theBrokerGrantsExactlyTheTable(String principal, String topic, String operation, boolean allowed,
            String why) throws Exception {
        Map<String, Object> config = CONFIGS.get(principal);
        String outcome = operation.equals("write") ? write(config, topic) : read(config, topic);
        assertThat(outcome).as("%s %s %s (%s)", principal, operation, topic, why)
                .isEqualTo(allowed ? "done" : "refused");
    }

    @Test
    void theTableInTheCodeIsTheTableWrittenHere() {
        for (Access access : TABLE) {
            for (TopicSpec topic : Topics.ALL) {
                assertThat(KafkaAccess.allows(access.principal(), topic.name(), KafkaAccess.Operation.WRITE))
                        .as("%s writes %s", access.principal(), topic.name())
                        .isEqualTo(access.writes().contains(topic.name()));
                assertThat(KafkaAccess.allows(access.principal(), topic.name(), KafkaAccess.Operation.READ))
                        .as("%s reads %s", access.principal(), topic.name())
                        .isEqualTo(access.reads().contains(topic.name()));
            }
        }
    }

    @Test
    void aClientWithoutCredentialsGetsNothing() {
        Map<String, Object> anonymous = new HashMap<>(Map.of("bootstrap.servers", broker.bootstrapServers(),
                "max.block.ms", 3_000));
        for (TopicSpec topic : Topics.ALL) {
            try (KafkaProducer<String, byte[]> producer = producer(anonymous)) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>(topic.name(), "x", new byte[1]))
                        .get(10, TimeUnit.SECONDS)).as("an unauthenticated write to %s", topic.name())
                        .isInstanceOfAny(KafkaException.class, ExecutionException.class);
            }
        }
    }

    @Test
    void aServicePrincipalWithAWrongPasswordIsNotAuthenticated() {
        Map<String, Object> wrong = new HashMap<>(broker.clientConfig(KafkaAccess.GATEWAY));
        wrong.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + KafkaAccess.GATEWAY + "\" password=\"not-its-password\";");
        wrong.put("max.block.ms", 10_000);
        try (KafkaProducer<String, byte[]> producer = producer(wrong)) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(COMMANDS, "x", new byte[1]))
                    .get(15, TimeUnit.SECONDS)).hasRootCauseInstanceOf(SaslAuthenticationException.class);
        }
    }

    @Test
    void consumerGroupsAreGrantedByPrefix() {
        assertThat(readInGroup(CONFIGS.get(KafkaAccess.FAILOVER), HEALTH, "regent-failover-a")).isEqualTo("done");
        assertThat(readInGroup(CONFIGS.get(KafkaAccess.FAILOVER), HEALTH, "someone-elses-group")).isEqualTo("refused");
        assertThat(readInGroup(CONFIGS.get(KafkaAccess.GATEWAY), HEALTH, "regent-failover")).as(
                "the gateway may not join (and so disturb) the failover-service's group").isEqualTo("refused");
    }

    private static String write(Map<String, Object> config, String topic) throws Exception {
        Map<String, Object> props = new HashMap<>(config);
        props.put("max.block.ms", 10_000);
        try (KafkaProducer<String, byte[]> producer = producer(props)) {
            producer.send(new ProducerRecord<>(topic, "acl-test", new byte[] {1})).get(20, TimeUnit.SECONDS);
            return "done";
        } catch (ExecutionException | KafkaException e) {
            // a principal that may write no topic at all is refused its producer id (ClusterAuthorizationException),
            // which reaches send() either wrapped in the future or, when it came first, thrown wrapped by send()
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof AuthorizationException) {
                    return "refused";
                }
            }
            throw e;
        }
    }

    /** Assigned (no group): "done" once the seeded record arrives, "refused" on an authorisation error. */
    private static String read(Map<String, Object> config, String topic) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            return pollForSeed(consumer);
        } catch (AuthorizationException e) {
            return "refused";
        }
    }

    private static String readInGroup(Map<String, Object> config, String topic, String group) {
        Map<String, Object> props = new HashMap<>(config);
        props.put("group.id", group + "-" + UUID.randomUUID());
        props.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            return pollForSeed(consumer);
        } catch (AuthorizationException e) {
            return "refused";
        }
    }

    private static String pollForSeed(KafkaConsumer<String, byte[]> consumer) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                if ("seed".equals(record.key())) {
                    return "done";
                }
            }
        }
        return "neither the seeded record nor a refusal within 30 s";
    }

    private static KafkaProducer<String, byte[]> producer(Map<String, Object> config) {
        Map<String, Object> props = new HashMap<>(config);
        props.putIfAbsent("acks", "all");
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }
}
