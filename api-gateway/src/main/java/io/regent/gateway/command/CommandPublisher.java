package io.regent.gateway.command;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.EventCodec;
import io.regent.events.RegentEvent;
import io.regent.events.Topics;
import io.regent.events.kafka.CommandSignature;
import io.regent.gateway.config.GatewayConfig;
import io.regent.gateway.rest.ProblemException;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Publishes operator commands to {@code regent.commands.v1}, keyed by cluster (so the cluster's
 * owning failover-service instance gets them in order), and returns only once Kafka has them: a 202
 * means the command will be acted on or answered by a failed operation, never silently lost.
 */
@ApplicationScoped
public class CommandPublisher {

    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger LOG = Logger.getLogger(CommandPublisher.class);

    private final Map<String, Object> kafkaConfig;
    private final GatewayConfig config;
    private final EventCodec codec;
    private final PrivateKey signingKey;
    private KafkaProducer<String, byte[]> producer;

    public CommandPublisher(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, GatewayConfig config) {
        this.kafkaConfig = kafkaConfig;
        this.config = config;
        this.codec = new EventCodec(URI.create("/regent/gateway/" + config.instanceId()));
        this.signingKey = config.commands().signingKey().filter(k -> !k.isBlank())
                .map(CommandSignature::privateKey).orElse(null);
        if (signingKey == null) {
            LOG.error("no command signing key (regent.gateway.commands.signing-key, REGENT_COMMAND_SIGNING_KEY): "
                    + "switchover, failover and maintenance requests are refused with 503");
        }
    }

    void onStart(@Observes StartupEvent event) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "regent-gateway-commands-" + config.instanceId());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    void onStop(@Observes ShutdownEvent event) {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Publishes {@code command}, signed for {@code requester} acting with {@code role} (the caller's token was
     * checked for it): the failover-service acts on nothing else.
     */
    public void publish(String clusterId, RegentEvent command, String requester, String role) {
        if (signingKey == null) {
            throw new ProblemException(503, "Commands are not configured", "this gateway has no command signing key "
                    + "(REGENT_COMMAND_SIGNING_KEY), so the failover-service would ignore the request; nothing was "
                    + "requested. See docs/security.md.");
        }
        byte[] value = codec.encode(command);
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.COMMANDS.name(), clusterId, value);
        CommandSignature.sign(signingKey, Topics.COMMANDS.name(), clusterId, value, requester, role, Instant.now(),
                record.headers());
        try {
            producer.send(record).get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw new ProblemException(503, "Command not accepted", "Kafka did not take the command within "
                    + ACK_TIMEOUT.toSeconds() + " s; nothing was requested. Retry when the event bus is back.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProblemException(503, "Command not accepted", "interrupted; nothing was requested");
        }
    }
}
