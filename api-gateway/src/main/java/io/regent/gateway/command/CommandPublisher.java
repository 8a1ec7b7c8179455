package io.regent.gateway.command;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.RegentEvent;
import io.regent.events.Topics;
import io.regent.events.kafka.RegentEventSerializer;
import io.regent.gateway.config.GatewayConfig;
import io.regent.gateway.rest.ProblemException;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes operator commands to {@code regent.commands.v1}, keyed by cluster (so the cluster's
 * owning failover-service instance gets them in order), and returns only once Kafka has them: a 202
 * means the command will be acted on or answered by a failed operation, never silently lost.
 */
@ApplicationScoped
public class CommandPublisher {

    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(10);

    private final Map<String, Object> kafkaConfig;
    private final GatewayConfig config;
    private KafkaProducer<String, RegentEvent> producer;

    public CommandPublisher(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, GatewayConfig config) {
        this.kafkaConfig = kafkaConfig;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "regent-gateway-commands-" + config.instanceId());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        producer = new KafkaProducer<>(props, new StringSerializer(),
                new RegentEventSerializer(URI.create("/regent/gateway/" + config.instanceId())));
    }

    void onStop(@Observes ShutdownEvent event) {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    public void publish(String clusterId, RegentEvent command) {
        try {
            producer.send(new ProducerRecord<>(Topics.COMMANDS.name(), clusterId, command))
                    .get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw new ProblemException(503, "Command not accepted", "Kafka did not take the command within "
                    + ACK_TIMEOUT.toSeconds() + " s; nothing was requested. Retry when the event bus is back.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProblemException(503, "Command not accepted", "interrupted; nothing was requested");
        }
    }
}
