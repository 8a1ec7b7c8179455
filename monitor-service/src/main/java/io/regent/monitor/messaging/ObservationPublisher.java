package io.regent.monitor.messaging;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.NodeObserved;
import io.regent.events.RegentEvent;
import io.regent.events.Topics;
import io.regent.events.kafka.RegentEventSerializer;
import io.regent.monitor.config.MonitorConfig;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

/**
 * Sends observations to {@code regent.node-health.v1}, keyed by cluster id. Probing never waits
 * for Kafka: observations queue in a bounded buffer (oldest dropped first, counted) and a sender
 * thread hands them to the producer, at most {@code maxInFlight} unacknowledged at a time. When Kafka
 * has acknowledged nothing for {@code stallAfter} while records are out, the sender stops handing
 * more over: the backlog stays here - bounded, counted, visible in the gauge - instead of piling up
 * in the producer, and drains in order when Kafka acknowledges again.
 */
@ApplicationScoped
public class ObservationPublisher {

    private static final Logger LOG = Logger.getLogger(ObservationPublisher.class);

    private final MonitorConfig config;
    private final Map<String, Object> kafkaConfig;
    private final ArrayDeque<NodeObserved> buffer = new ArrayDeque<>();
    private final Semaphore inFlight;
    private final Counter published;
    private final Counter dropped;
    private final Counter failed;
    private final MeterRegistry meters;
    private volatile boolean running;
    private volatile boolean kafkaAway;
    private final AtomicInteger unacknowledged = new AtomicInteger();
    /** When Kafka last made progress: an acknowledgement, or the moment records went out after none were. */
    private volatile long lastProgressNanos = System.nanoTime();
    private KafkaProducer<String, RegentEvent> producer;
    private Thread sender;

    public ObservationPublisher(MonitorConfig config, @Identifier("default-kafka-broker") Map<String, Object> kafka,
            MeterRegistry meters) {
        this.config = config;
        this.kafkaConfig = kafka;
        this.inFlight = new Semaphore(config.buffer().maxInFlight());
        this.meters = meters;
        this.published = meters.counter("regent.observations.published");
        this.dropped = meters.counter("regent.observations.dropped", "reason", "buffer-full");
        this.failed = meters.counter("regent.observations.dropped", "reason", "kafka-error");
        meters.gaugeCollectionSize("regent.observations.buffered", java.util.List.of(), buffer);
    }

    void onStart(@Observes StartupEvent event) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "regent-monitor-" + config.agentId());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1_000);
        // a batch stuck on a vanished broker fails within 30 s and is requeued, not held for minutes
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        props.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1_000);
        producer = new KafkaProducer<>(props, new StringSerializer(),
                new RegentEventSerializer(URI.create("/regent/monitor/" + config.agentId())));
        running = true;
        sender = new Thread(this::send, "regent-observation-sender");
        sender.setDaemon(true);
        sender.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        synchronized (buffer) {
            buffer.notifyAll();
        }
        if (sender != null) {
            try {
                sender.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }

    /** Queues an observation; never blocks the prober. */
    public void publish(NodeObserved observation) {
        synchronized (buffer) {
            if (buffer.size() >= config.buffer().capacity()) {
                buffer.pollFirst();
                dropped.increment();
            }
            buffer.addLast(observation);
            buffer.notifyAll();
        }
    }

    public int buffered() {
        synchronized (buffer) {
            return buffer.size();
        }
    }

    private void send() {
        while (running) {
            NodeObserved next;
            try {
                if (stalled()) {
                    Thread.sleep(50); // Kafka takes nothing: keep the backlog in the bounded buffer
                    continue;
                }
                if (!inFlight.tryAcquire(200, TimeUnit.MILLISECONDS)) {
                    continue; // Kafka is not acknowledging: let the buffer take the backlog
                }
                synchronized (buffer) {
                    while (running && buffer.isEmpty()) {
                        buffer.wait(200);
                    }
                    next = buffer.pollFirst();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (next == null) {
                inFlight.release();
                continue;
            }
            try {
                NodeObserved observation = next;
                if (unacknowledged.getAndIncrement() == 0) {
                    lastProgressNanos = System.nanoTime();
                }
                producer.send(new ProducerRecord<>(Topics.NODE_HEALTH.name(), next.clusterId(), next), (meta, error) -> {
                    inFlight.release();
                    unacknowledged.decrementAndGet();
                    if (error == null) {
                        lastProgressNanos = System.nanoTime();
                        published.increment();
                        kafkaAway = false;
                    } else if (error instanceof RetriableException) {
                        kafkaAway = true; // e.g. no metadata: Kafka is away, keep it for later
                        meters.counter("regent.observations.requeued", "error", error.getClass().getSimpleName())
                                .increment();
                        requeue(observation);
                    } else {
                        failed.increment();
                        LOG.warnf("observation of %s/%s lost: %s", observation.clusterId(), observation.node(),
                                error.toString());
                    }
                });
                if (kafkaAway) {
                    sleep();
                }
            } catch (KafkaException e) {
                // no metadata within max.block.ms: Kafka is away; keep the observation and back off
                inFlight.release();
                unacknowledged.decrementAndGet();
                requeue(next);
                sleep();
            }
        }
    }

    /** Records are out and Kafka has acknowledged none of them for {@code stallAfter}. */
    private boolean stalled() {
        return unacknowledged.get() > 0
                && System.nanoTime() - lastProgressNanos > config.buffer().stallAfter().toNanos();
    }

    /** Puts an observation Kafka did not take back at the head; over capacity the oldest goes. */
    private void requeue(NodeObserved observation) {
        synchronized (buffer) {
            buffer.addFirst(observation);
            if (buffer.size() > config.buffer().capacity()) {
                buffer.pollFirst();
                dropped.increment();
            }
            buffer.notifyAll();
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
