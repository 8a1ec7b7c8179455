package io.regent.events.kafka;

import io.regent.events.EventCodec;
import io.regent.events.EventDecodingException;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.errors.WakeupException;
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

    private final KafkaConsumer<String, byte[]> consumer;
    private final byte[] ownOrigin;
    private final Consumer<TopologyChanged> onSnapshot;
    private final Consumer<String> onDeleted;
    private final Thread thread;
    private volatile boolean running = true;
    /** The newest snapshot delivered per cluster (only the feed's thread touches it). */
    private final Map<String, TopologyChanged> delivered = new HashMap<>();

    private TopologyFeed(Map<String, Object> kafkaConfig, String clientId, String ownOrigin,
            Consumer<TopologyChanged> onSnapshot, Consumer<String> onDeleted) {
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
        TopologyFeed feed = new TopologyFeed(kafkaConfig, clientId, ownOrigin, onSnapshot, onDeleted);
        feed.thread.start();
        return feed;
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
                } catch (org.apache.kafka.common.errors.TimeoutException e) {
                    LOG.log(System.Logger.Level.WARNING, "topology topic not reachable yet: " + e.getMessage());
                }
            }
            if (partitions == null) {
                return;
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    deliver(record);
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(2));
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
                delivered.remove(record.key());
                onDeleted.accept(record.key());
            } else if (EventCodec.decode(record.value()).data() instanceof TopologyChanged snapshot) {
                if (!snapshot.supersedes(delivered.get(snapshot.clusterId()))) {
                    LOG.log(System.Logger.Level.DEBUG, () -> "ignoring an older topology of " + snapshot.clusterId()
                            + " (epoch " + snapshot.epoch() + ", revision " + snapshot.revision() + ") at offset "
                            + record.offset());
                    return;
                }
                delivered.put(snapshot.clusterId(), snapshot);
                onSnapshot.accept(snapshot);
            }
        } catch (EventDecodingException e) {
            LOG.log(System.Logger.Level.WARNING, "skipping an unreadable topology record at offset " + record.offset()
                    + ": " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "topology callback failed on " + record.key(), e);
        }
    }
}
