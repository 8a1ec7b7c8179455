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
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Publishes outbox rows to Kafka in id order and marks them sent.
 *
 * <ul>
 * <li>One relay at a time across all registry instances: the one holding the relay lease (a row,
 * on the database's clock, renewed every round). A relay that is paused or cut off past its lease is
 * replaced, whatever its session still holds.</li>
 * <li>Every relay of a deployment uses the same Kafka transactional id, and publishes each batch in
 * one transaction: a new relay's producer fences the previous one's before it publishes anything, so
 * a relay that lost its lease - and woke up with a batch in hand - can publish nothing more, and an
 * older event can never land after a newer one. Consumers read committed records only.</li>
 * <li>While Kafka is down the relay keeps retrying the same transaction; rows are marked sent only
 * after their transaction committed. A crash in between republishes them with the same CloudEvent id:
 * at-least-once, and consumers order topology snapshots by revision and deduplicate by id.</li>
 * </ul>
 */
@ApplicationScoped
public class OutboxRelay {

    private static final Logger LOG = Logger.getLogger(OutboxRelay.class);
    private static final Duration FAILURE_BACKOFF = Duration.ofSeconds(1);

    private final AgroalDataSource dataSource;
    private final RegistryConfig config;
    private final Map<String, Object> kafkaConfig;
    private final String holder = "registry-" + UUID.randomUUID();
    private final Semaphore wakeUps = new Semaphore(0);
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong backlog = new AtomicLong();
    private final io.micrometer.core.instrument.Counter purged;

    private volatile boolean running;
    private volatile boolean leader;
    /** Until when (monotonic nanos) this relay may still commit: its lease as its own clock measures it. */
    private long leaseUsableUntil;
    /** When (monotonic nanos) the relay next deletes published rows past the retention. */
    private long nextPurge = System.nanoTime();
    private Thread thread;
    private Connection connection;
    private KafkaProducer<String, byte[]> producer;

    public OutboxRelay(AgroalDataSource dataSource, RegistryConfig config,
            @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, MeterRegistry meters) {
        this.dataSource = dataSource;
        this.config = config;
        this.kafkaConfig = kafkaConfig;
        meters.gauge("regent.outbox.backlog", backlog);
        meters.gauge("regent.outbox.published", published);
        meters.gauge("regent.outbox.relay.leader", this, relay -> relay.leader ? 1 : 0);
        this.purged = meters.counter("regent.outbox.purged");
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

    /** Whether this instance currently holds the relay lease. */
    public boolean isLeader() {
        return leader;
    }

    private void run() {
        while (running) {
            boolean more = false;
            try {
                boolean held = holdLease();
                if (held && !leader) {
                    LOG.infof("this registry instance now relays the outbox (lease %s)", config.outbox().lease());
                } else if (!held && leader) {
                    LOG.warn("this registry instance lost the relay lease: it publishes nothing more");
                    closeProducer();
                }
                leader = held;
                if (leader) {
                    more = publishBatch();
                    if (!more) {
                        more = purgeIfDue();
                    }
                }
            } catch (ProducerFencedException | InvalidProducerEpochException e) {
                LOG.warnf("another registry instance took the relay over and fenced this one in Kafka: %s",
                        e.getMessage());
                leader = false;
                closeProducer();
            } catch (RuntimeException | SQLException e) {
                LOG.warnf("outbox relay round failed, retrying in %s: %s", FAILURE_BACKOFF, e.toString());
                closeProducer();
                closeConnection();
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
        if (leader) {
            try {
                OutboxStore.releaseLease(connection(), holder);
            } catch (SQLException e) {
                LOG.debug("giving the relay lease up failed; it runs out by itself", e);
            }
        }
        closeConnection();
    }

    /** Takes or renews the lease; measures on this process's clock, from before asking, how long it lasts. */
    private boolean holdLease() throws SQLException {
        long asked = System.nanoTime();
        boolean held = OutboxStore.holdLease(connection(), holder, config.outbox().lease());
        if (held) {
            leaseUsableUntil = asked + config.outbox().lease().toNanos() / 2;
        }
        return held;
    }

    /** Publishes one batch in one transaction; true when there may be more rows waiting. */
    private boolean publishBatch() throws SQLException {
        List<OutboxStore.Message> batch = OutboxStore.nextBatch(connection(), config.outbox().batchSize());
        if (batch.isEmpty()) {
            backlog.set(0);
            return false;
        }
        KafkaProducer<String, byte[]> kafka = producer();
        kafka.beginTransaction();
        try {
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
                kafka.send(record);
            }
            commit(kafka);
        } catch (ProducerFencedException | InvalidProducerEpochException e) {
            throw e;
        } catch (KafkaException e) {
            // nothing of this batch is visible to readers of committed records: it goes out again, in order
            LOG.warnf("Kafka does not take outbox events (%s); the batch of %d is published again", e.getMessage(),
                    batch.size());
            closeProducer();
            sleep(FAILURE_BACKOFF);
            return false;
        }
        OutboxStore.markSent(connection(), batch.stream().map(OutboxStore.Message::id).toList(), Instant.now());
        published.addAndGet(batch.size());
        boolean full = batch.size() == config.outbox().batchSize();
        backlog.set(full ? OutboxStore.backlog(connection()) : 0);
        return full;
    }

    /**
     * Deletes published rows older than the retention, one batch per statement, when the purge interval has passed
     * (the relay only: one instance purges, between its publishing rounds). True when a full batch was deleted and
     * more may be waiting - the next round deletes again, after publishing what arrived meanwhile.
     */
    private boolean purgeIfDue() throws SQLException {
        long now = System.nanoTime();
        if (now - nextPurge < 0) {
            return false;
        }
        int deleted = OutboxStore.purgeSent(connection(), Instant.now().minus(config.outbox().retention()),
                config.outbox().purgeBatchSize());
        purged.increment(deleted);
        boolean full = deleted == config.outbox().purgeBatchSize();
        nextPurge = full ? now : now + config.outbox().purgeInterval().toNanos();
        if (deleted > 0) {
            LOG.debugf("deleted %d outbox rows published more than %s ago", deleted, config.outbox().retention());
        }
        return full;
    }

    /**
     * Commits the batch, however long Kafka is away, while this relay still holds the lease: it renews
     * the lease between attempts, and never commits once its own clock says the lease may have run out.
     */
    private void commit(KafkaProducer<String, byte[]> kafka) throws SQLException {
        while (true) {
            if (System.nanoTime() - leaseUsableUntil >= 0 && !holdLease()) {
                throw new ProducerFencedException("the relay lease ran out before the batch was committed");
            }
            try {
                kafka.commitTransaction();
                return;
            } catch (TimeoutException e) {
                if (!running) {
                    throw e;
                }
                LOG.debugf("committing an outbox batch timed out, retrying: %s", e.getMessage());
            }
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            Map<String, Object> props = new HashMap<>(kafkaConfig);
            props.put(ProducerConfig.CLIENT_ID_CONFIG, "regent-registry-outbox");
            props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.outbox().transactionalId());
            // a batch left open by a relay that died blocks readers of committed records until its successor
            // fences it or this runs out; a batch still retrying after it is aborted and published again
            props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 10_000);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
            props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
            KafkaProducer<String, byte[]> created = new KafkaProducer<>(props, new StringSerializer(),
                    new ByteArraySerializer());
            try {
                // fences every earlier producer of this transactional id and aborts what it left open
                created.initTransactions();
            } catch (RuntimeException e) {
                created.close(Duration.ZERO);
                throw e;
            }
            producer = created;
        }
        return producer;
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            connection = dataSource.getConnection();
            connection.setAutoCommit(true);
        }
        return connection;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                LOG.debug("closing the relay connection failed", e);
            }
            connection = null;
        }
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

    private void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
