package io.regent.registry.messaging;

import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.kafka.TopologyFeed;
import io.regent.registry.config.RegistryConfig;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Publishes outbox rows to Kafka in id order and marks them sent.
 *
 * <ul>
 * <li>One relay at a time across all registry instances: the one holding a PostgreSQL advisory
 * lock, so rows are published in the order they were committed for each cluster.</li>
 * <li>An idempotent producer that never gives up on a record ({@code delivery.timeout.ms} = max):
 * while Kafka is down, records wait in the producer in order and go out when it returns, so
 * an outage neither loses nor duplicates an event.</li>
 * <li>Rows are marked sent only after Kafka acknowledged them. A crash in between republishes
 * them on restart with the same CloudEvent id: at-least-once, and consumers deduplicate by id.</li>
 * </ul>
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    /** Advisory lock key: "REGT". */
    private static final long LEADER_LOCK = 0x52454754L;
    private static final Duration FAILURE_BACKOFF = Duration.ofSeconds(1);

    private final AgroalDataSource dataSource;
    private final RegistryConfig config;
    private final Map<String, Object> kafkaConfig;
    private final Semaphore wakeUps = new Semaphore(0);
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong backlog = new AtomicLong();

    private volatile boolean running;
    private volatile boolean leader;
    private Thread thread;
    private Connection lockConnection;
    private KafkaProducer<String, byte[]> producer;

    public OutboxRelay(AgroalDataSource dataSource, RegistryConfig config,
            @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, MeterRegistry meters) {
        this.dataSource = dataSource;
        this.config = config;
        this.kafkaConfig = kafkaConfig;
        meters.gauge("regent.outbox.backlog", backlog);
        meters.gauge("regent.outbox.published", published);
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.outbox().enabled()) {
            LOG.warn("outbox relay disabled (regent.registry.outbox.enabled=false): events are not published");
            return;
        }
        running = true;
        thread = new Thread(this::run, "regent-outbox-relay");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        wakeUps.release();
        if (thread != null) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(15));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Outbox rows were committed: publish now rather than at the next poll. */
    public void wakeUp() {
        wakeUps.release();
    }

    /** Whether this instance currently holds the relay lock. */
    public boolean isLeader() {
        return leader;
    }

    private void run() {
        while (running) {
            boolean more = false;
            try {
                leader = holdLeadership();
                if (leader) {
                    more = publishBatch();
                }
            } catch (RuntimeException | SQLException e) {
                LOG.warnf("outbox relay round failed, retrying in %s: %s", FAILURE_BACKOFF, e.toString());
                closeProducer();
                releaseLeadership(); // the lock's session may be gone: take the lock afresh before publishing again
                sleep(FAILURE_BACKOFF);
            }
            if (!more) {
                try {
                    if (wakeUps.tryAcquire(config.outbox().pollInterval().toMillis(), TimeUnit.MILLISECONDS)
                            && !config.outbox().linger().isZero()) {
                        // let the commits right behind this one join its batch: one round trip for many
                        Thread.sleep(config.outbox().linger().toMillis());
                    }
                    wakeUps.drainPermits();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
        }
        closeProducer();
        releaseLeadership();
    }

    /** Publishes one batch; true when there may be more rows waiting. */
    private boolean publishBatch() throws SQLException {
        List<OutboxStore.Message> batch = OutboxStore.nextBatch(lockConnection, config.outbox().batchSize());
        if (batch.isEmpty()) {
            backlog.set(0);
            return false;
        }
        KafkaProducer<String, byte[]> kafka = producer();
        List<Future<RecordMetadata>> pending = new ArrayList<>();
        try {
            // metadata first: a send that times out waiting for it fails on its own while the ones after
            // it may find the broker back and go out - out of order, and again when the batch is retried
            for (String topic : batch.stream().map(OutboxStore.Message::topic).distinct().toList()) {
                kafka.partitionsFor(topic);
            }
            for (OutboxStore.Message message : batch) {
                ProducerRecord<String, byte[]> record = new ProducerRecord<>(message.topic(), message.key(),
                        message.payload());
                if (message.payload() != null) {
                    record.headers().add("content-type",
                            "application/cloudevents+json; charset=UTF-8".getBytes(StandardCharsets.UTF_8));
                }
                if (message.origin() != null) {
                    record.headers().add(TopologyFeed.ORIGIN_HEADER, message.origin().getBytes(StandardCharsets.UTF_8));
                }
                Future<RecordMetadata> future = kafka.send(record);
                pending.add(future);
                if (failed(future)) {
                    break; // nothing after a record that did not go: the rest would overtake it
                }
            }
        } catch (KafkaException e) {
            // e.g. no metadata within max.block.ms: what was handed over is still delivered in order
            LOG.warnf("Kafka does not take outbox events (%s); %d of %d handed over", e.getMessage(),
                    pending.size(), batch.size());
        }
        List<Long> sent = new ArrayList<>();
        for (int i = 0; i < pending.size(); i++) {
            if (!awaitDelivery(pending.get(i))) {
                break;
            }
            sent.add(batch.get(i).id());
        }
        OutboxStore.markSent(lockConnection, sent, Instant.now());
        published.addAndGet(sent.size());
        boolean full = batch.size() == config.outbox().batchSize();
        // count the backlog only when this round did not drain it; otherwise it is what stayed unsent
        backlog.set(full ? OutboxStore.backlog(lockConnection) : batch.size() - sent.size());
        if (sent.size() < batch.size()) {
            closeProducer(); // start the unsent ones afresh, in order, after a pause
            sleep(FAILURE_BACKOFF);
            return false;
        }
        return full;
    }

    /** Whether a send already failed when it returned (e.g. no metadata within {@code max.block.ms}). */
    private static boolean failed(Future<RecordMetadata> future) {
        if (!future.isDone()) {
            return false;
        }
        try {
            future.get();
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** Waits for Kafka's acknowledgement, however long Kafka is away, unless we are shutting down. */
    private boolean awaitDelivery(Future<RecordMetadata> future) {
        while (true) {
            try {
                future.get(500, TimeUnit.MILLISECONDS);
                return true;
            } catch (TimeoutException e) {
                if (!running) {
                    return false;
                }
            } catch (ExecutionException e) {
                LOG.warnf("Kafka refused an outbox event: %s", e.getCause().toString());
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            Map<String, Object> props = new HashMap<>(kafkaConfig);
            props.put(ProducerConfig.CLIENT_ID_CONFIG, "regent-registry-outbox");
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
            props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
            producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        }
        return producer;
    }

    private void closeProducer() {
        if (producer != null) {
            try {
                producer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.debug("closing the outbox producer failed", e);
            }
            producer = null;
        }
    }

    private boolean holdLeadership() throws SQLException {
        if (lockConnection != null && leader) {
            return true; // a lost session fails the round's first statement, which gives the lock up
        }
        if (lockConnection == null || !lockConnection.isValid(2)) {
            releaseLeadership();
            lockConnection = dataSource.getConnection();
            lockConnection.setAutoCommit(true);
        }
        try (PreparedStatement statement = lockConnection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            statement.setLong(1, LEADER_LOCK);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                boolean acquired = rs.getBoolean(1);
                if (acquired && !leader) {
                    LOG.info("this registry instance now relays the outbox");
                }
                return acquired;
            }
        }
    }

    private void releaseLeadership() {
        boolean wasLeader = leader;
        leader = false;
        if (lockConnection != null) {
            try {
                if (wasLeader && lockConnection.isValid(2)) {
                    // the connection goes back to the pool: its session, and a session lock, would live on
                    try (PreparedStatement unlock = lockConnection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                        unlock.setLong(1, LEADER_LOCK);
                        unlock.execute();
                    }
                }
                lockConnection.close();
            } catch (SQLException e) {
                LOG.debug("closing the relay lock connection failed", e);
            }
            lockConnection = null;
        }
    }

    private void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
