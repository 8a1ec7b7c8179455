package io.regent.testkit.kafka;

import io.regent.events.TopicSpec;
import java.util.Collection;
import java.util.Map;

/**
 * A real Apache Kafka broker in KRaft mode (combined broker and controller). Closing it stops the
 * broker and deletes its data.
 */
public interface KafkaBroker extends AutoCloseable {

    /** Starts a broker on free loopback ports, from the Kafka artifacts on this JVM's classpath. */
    static KafkaBroker start() {
        return LocalKafkaBroker.startNew(Map.of());
    }

    /** As {@link #start()}, with extra {@code server.properties} entries. */
    static KafkaBroker start(Map<String, String> overrides) {
        return LocalKafkaBroker.startNew(overrides);
    }

    /** A broker on the given loopback ports (e.g. the local demo's fixed ones). */
    static KafkaBroker start(int port, int controllerPort) {
        return LocalKafkaBroker.startNew(port, controllerPort, Map.of());
    }

    /** {@code host:port} for clients. */
    String bootstrapServers();

    /**
     * The broker only serves authenticated clients (SASL/SCRAM-SHA-512) and authorises them by
     * {@link io.regent.events.KafkaAccess}: the client settings of one of its principals (a service
     * principal, or {@link io.regent.events.KafkaAccess#ADMIN} for a test's own reading and writing).
     */
    Map<String, Object> clientConfig(String principal);

    /** The SCRAM password of {@code principal}. */
    String password(String principal);

    /** Adds a SCRAM user with no grant (a stranger), and returns its client settings. */
    Map<String, Object> addUser(String principal);

    /** Creates these ACLs (existing ones are left alone). */
    void grant(Collection<io.regent.events.KafkaAccess.Grant> grants);

    /** Deletes these ACLs (e.g. to stall a consumer the way a mistaken ACL change would). */
    void revoke(Collection<io.regent.events.KafkaAccess.Grant> grants);

    /** Creates the topics with their partition count and configs; existing ones are left alone. */
    void createTopics(Collection<TopicSpec> topics);

    /** Creates every topic of {@link io.regent.events.Topics#ALL} and grants {@link io.regent.events.KafkaAccess#GRANTS}. */
    void createRegentTopics();

    /** Controlled shutdown (SIGTERM); the port and data are kept for {@link #restart()}. */
    void stop();

    /** SIGKILL: a broker crash. The port and data are kept for {@link #restart()}. */
    void kill();

    /** Starts a stopped or killed broker again on the same port and data, and waits until it serves. */
    void restart();

    boolean isRunning();

    @Override
    void close();
}
