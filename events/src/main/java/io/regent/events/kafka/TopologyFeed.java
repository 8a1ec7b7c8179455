package io.regent.events.kafka;

import io.regent.events.EventEnvelope;
import io.regent.events.RegentEvent;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Follows the compacted topology topic from its beginning on every partition, without a consumer
 * group: every subscriber sees the current snapshot of every cluster, then each change, on its
 * own thread. A deleted cluster arrives as a tombstone. A snapshot older than one already delivered
 * for its cluster ({@link TopologyChanged#supersedes}) - a duplicate from a retried publish, a record
 * a former relay wrote late - is not delivered: a subscriber's view never goes back.
 */
public final class TopologyFeed implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(TopologyFeed.class.getName());

    /**
     * Kafka header naming the process that wrote an event: a subscriber that already applied its
     * own writes skips them without decoding them ({@link #start(Map, String, String, Consumer, Consumer)}).
     */
    public static final String ORIGIN_HEADER = "regent-origin";

    private static final Set<Class<? extends RegentEvent>> TOPOLOGY_ONLY = Set.of(TopologyChanged.class);

    private final KafkaConsumer<String, byte[]> consumer;
    private final byte[] ownOrigin;
    private final Consumer<TopologyChanged> onSnapshot;
    private final Consumer<String> onDeleted;
    private final Thread thread;
    private final RecordIntake intake;
    private final ConsumerProgress progress;
    private volatile boolean running = true;
    /** The newest snapshot delivered per cluster (only the feed's thread touches it). */
    private final Map<String, TopologyChanged> delivered = new HashMap<>();

    private TopologyFeed(Map<String, Object> kafkaConfig, String clientId, String ownOrigin,
            Consumer<TopologyChanged> onSnapshot, Consumer<String> onDeleted, BiConsumer<String, String> rejected) {
        this.intake = new RecordIntake(clientId, rejected);
        this.progress = new ConsumerProgress(clientId);
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        // the registry publishes in transactions: a batch a fenced relay left behind is never delivered
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.ownOrigin = ownOrigin == null ? null : ownOrigin.getBytes(StandardCharsets.UTF_8);
        this.onSnapshot = onSnapshot;
        this.onDeleted = onDeleted;
        this.thread = new Thread(this::run, clientId);
        this.thread.setDaemon(true);
    }

    /**
     * Starts following; {@code kafkaConfig} needs at least {@code bootstrap.servers}. The callbacks
     * run on the feed's thread, in topic order per cluster.
     *
     * @param onSnapshot a cluster's newest topology
     * @param onDeleted  a cluster's tombstone
     */
    public static TopologyFeed start(Map<String, Object> kafkaConfig, String clientId,
            Consumer<TopologyChanged> onSnapshot, Consumer<String> onDeleted) {
        return start(kafkaConfig, clientId, null, onSnapshot, onDeleted);
    }

    /**
     * As {@link #start(Map, String, Consumer, Consumer)}, skipping the snapshots whose
     * {@link #ORIGIN_HEADER} is {@code ownOrigin}: changes the subscriber wrote and applied itself.
     */
    public static TopologyFeed start(Map<String, Object> kafkaConfig, String clientId, String ownOrigin,
            Consumer<TopologyChanged> onSnapshot, Consumer<String> onDeleted) {
        return start(kafkaConfig, clientId, ownOrigin, onSnapshot, onDeleted, (topic, reason) -> { });
    }

    /**
     * As {@link #start(Map, String, String, Consumer, Consumer)}, telling {@code rejected} (topic, reason) of
     * every record skipped as not a topology of the cluster its key names (a service counts them).
     */
    public static TopologyFeed start(Map<String, Object> kafkaConfig, String clientId, String ownOrigin,
            Consumer<TopologyChanged> onSnapshot, Consumer<String> onDeleted, BiConsumer<String, String> rejected) {
        TopologyFeed feed = new TopologyFeed(kafkaConfig, clientId, ownOrigin, onSnapshot, onDeleted, rejected);
        feed.thread.start();
        return feed;
    }

    /** When the feed last completed a poll: its service's readiness fails when that is too long ago. */
    public ConsumerProgress progress() {
        return progress;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            List<TopicPartition> partitions = null;
            while (running && partitions == null) {
                try {
                    partitions = consumer.partitionsFor(Topics.TOPOLOGY.name(), Duration.ofSeconds(5)).stream()
                            .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                    progress.progressed();
                } catch (org.apache.kafka.common.errors.TimeoutException e) {
                    progress.progressed(); // alive, waiting for the broker: an outage is not a stall
                    LOG.log(System.Logger.Level.WARNING, "topology topic not reachable yet: " + e.getMessage());
                } catch (WakeupException e) {
                    throw e;
                } catch (KafkaException e) {
                    failed(e);
                }
            }
            if (partitions == null) {
                return;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (running) {
                ConsumerRecords<String, byte[]> records;
                try {
                    records = consumer.poll(Duration.ofMillis(200));
                } catch (WakeupException e) {
                    throw e;
                } catch (KafkaException e) {
                    failed(e); // e.g. a revoked grant: retried, and readiness shows the stall
                    continue;
                }
                for (ConsumerRecord<String, byte[]> record : records) {
                    deliver(record);
                }
                progress.progressed(consumer);
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void failed(KafkaException e) {
        progress.failed(e.toString());
        LOG.log(System.Logger.Level.WARNING, "reading the topology failed, retrying in 1 s: " + e);
        try {
            Thread.sleep(1_000);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private void deliver(ConsumerRecord<String, byte[]> record) {
        if (record.value() != null && ownOrigin != null) {
            Header origin = record.headers().lastHeader(ORIGIN_HEADER);
            if (origin != null && Arrays.equals(origin.value(), ownOrigin)) {
                return;
            }
        }
        try {
            if (record.value() == null) {
                if (record.key() == null) {
                    intake.reject(record, "unreadable", "a tombstone without a key", "no cluster to delete");
                    return;
                }
                delivered.remove(record.key());
                onDeleted.accept(record.key());
            } else {
                EventEnvelope event = intake.accept(record, TOPOLOGY_ONLY);
                if (event == null) {
                    return;
                }
                TopologyChanged snapshot = (TopologyChanged) event.data();
                if (!snapshot.supersedes(delivered.get(snapshot.clusterId()))) {
                    LOG.log(System.Logger.Level.DEBUG, () -> "ignoring an older topology of " + snapshot.clusterId()
                            + " (epoch " + snapshot.epoch() + ", revision " + snapshot.revision() + ") at offset "
                            + record.offset());
                    return;
                }
                delivered.put(snapshot.clusterId(), snapshot);
                onSnapshot.accept(snapshot);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "topology callback failed on " + record.key(), e);
        }
    }
}
