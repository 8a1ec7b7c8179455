package io.regent.gateway.health;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.EventEnvelope;
import io.regent.events.Engine;
import io.regent.events.LagLimit;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.OperationUpdated;
import io.regent.events.RegentEvent;
import io.regent.events.Topics;
import io.regent.events.WalReceiverState;
import io.regent.events.kafka.ConsumerProgress;
import io.regent.events.kafka.RecordIntake;
import io.regent.gateway.config.GatewayConfig;
import io.regent.gateway.feed.LiveFeed;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * The newest observation of every node, from {@code regent.node-health.v1}: what the routing
 * checks answer from; and the live feed's operation updates and per-node health summaries (sent
 * when a node's state changes, otherwise at most every {@code feed.health-interval}). Each gateway
 * instance reads both topics from their end (its own consumer group): only what happens from now on counts.
 */
@ApplicationScoped
public class NodeHealthView {

    private static final Logger LOG = Logger.getLogger(NodeHealthView.class);

    private final Map<String, Object> kafkaConfig;
    private final GatewayConfig config;
    /** "cluster/node" → the observation received last (any agent). */
    private final Map<String, Seen> newest = new ConcurrentHashMap<>();
    /** cluster → "node/observer" → that agent's newest observation of the node. */
    private final Map<String, Map<String, Seen>> byAgent = new ConcurrentHashMap<>();
    private volatile boolean running;
    private Thread thread;
    private KafkaConsumer<String, byte[]> consumer;
    private final RecordIntake intake;
    private final ConsumerProgress progress = new ConsumerProgress("regent-gateway-health");

    private final LiveFeed feed;
    private final LagHistory lagHistory = new LagHistory(Duration.ofMinutes(10), Duration.ofSeconds(2));
    /** "cluster/node" → the summary last sent to the feed. */
    private final Map<String, HealthSummary> sent = new ConcurrentHashMap<>();

    /**
     * An observation and when this gateway received it, on its own clock. Observations of different agents are
     * ordered by receipt, never by their {@code observedAt} - each agent stamps that with its own clock, which
     * may be set wrong - and one is fresh by the time since its receipt.
     */
    record Seen(NodeObserved observed, Instant receivedAt) {
        /** How far the agent's clock runs ahead of this gateway's (negative: behind); Kafka's delivery makes it read low. */
        long clockOffsetMillis() {
            Instant probeEnded = observed.observedAt().plusMillis(observed.probeMillis() == null ? 0
                    : observed.probeMillis());
            return Duration.between(receivedAt, probeEnded).toMillis();
        }
    }

    /**
     * What the feed says about a node's health.
     *
     * @param observedAt        when the probe started, on the agent's clock
     * @param receivedAt        when this gateway received it, on the gateway's clock
     * @param clockOffsetMillis how far the agent's clock runs ahead of the gateway's (negative: behind), from this
     *                          observation (reads a little low: the delivery took time)
     * @param lagUnit           what {@code lagBytes} counts on this node's engine: "bytes" (PostgreSQL WAL) or
     *                          "transactions" (MariaDB)
     * @param lagLimit          the follower routing check's default limit in that unit
     *                          ({@code regent.gateway.routing.default-max-lag-bytes} / {@code -transactions}): the
     *                          dashboard flags a follower past it, as the check leaves it out of the read pool
     */
    public record HealthSummary(String clusterId, String node, boolean reachable, NodeRole role, Boolean readOnly,
            Long lagBytes, Long lagMillis, Long currentLsn, Long receivedLsn, Long replayedLsn, Long timeline,
            String walReceiverStatus, String upstream, Instant observedAt, String observerId, String observerZone,
            Long probeMillis, String error, Instant receivedAt, long clockOffsetMillis, String lagUnit,
            long lagLimit) {
        static HealthSummary of(Seen seen, GatewayConfig.Routing routing) {
            NodeObserved o = seen.observed();
            boolean transactions = o.engine() == Engine.MARIADB;
            WalReceiverState receiver = o.walReceiver();
            return new HealthSummary(o.clusterId(), o.node(), o.reachable(), o.role(), o.readOnly(), o.lagBytes(),
                    o.lagMillis(), o.currentLsn(), o.receivedLsn(), o.replayedLsn(), o.timeline(),
                    receiver == null ? null : receiver.status(),
                    receiver == null || receiver.senderHost() == null ? null
                            : receiver.senderHost() + ":" + receiver.senderPort(),
                    o.observedAt(), o.observerId(), o.observerZone(), o.probeMillis(),
                    o.error() == null ? null : o.error().kind().name(), seen.receivedAt(), seen.clockOffsetMillis(),
                    LagLimit.unit(o.engine()),
                    transactions ? routing.defaultMaxLagTransactions() : routing.defaultMaxLagBytes());
        }

        boolean sameState(HealthSummary other) {
            return reachable == other.reachable && role == other.role && Objects.equals(readOnly, other.readOnly);
        }
    }

    public NodeHealthView(@Identifier("default-kafka-broker") Map<String, Object> kafkaConfig, GatewayConfig config,
            LiveFeed feed, RejectedRecords rejected) {
        this.kafkaConfig = kafkaConfig;
        this.config = config;
        this.feed = feed;
        this.intake = new RecordIntake("gateway health view", rejected::count);
        List<String> known = config.agents().known().orElse(List.of());
        this.knownAgents = known.isEmpty() || known.contains("*") ? null : Set.copyOf(known);
    }

    /** Agent ids whose observations count; null: every id. */
    private final Set<String> knownAgents;

    /** When the view last completed a poll (readiness). */
    public ConsumerProgress progress() {
        return progress;
    }

    void onStart(@Observes StartupEvent event) {
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "regent-gateway-health-" + config.instanceId() + "-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "regent-gateway-health-" + config.instanceId());
        // operations come from the registry's transactions: a fenced relay's aborted batch is not an event
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // records are decoded one by one: an unreadable one is skipped, never retried (it would stop the view for good)
        consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(Topics.NODE_HEALTH.name(), Topics.OPERATIONS.name()));
        running = true;
        thread = new Thread(this::run, "regent-gateway-health");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        try {
            while (running) {
                ConsumerRecords<String, byte[]> records;
                try {
                    records = consumer.poll(Duration.ofMillis(500));
                } catch (WakeupException e) {
                    return;
                } catch (RuntimeException e) {
                    progress.failed(e.toString()); // readiness shows it if it lasts
                    LOG.warnf("reading node health failed, retrying: %s", e.toString());
                    sleep();
                    continue;
                }
                for (ConsumerRecord<String, byte[]> record : records) {
                    try {
                        take(record);
                    } catch (RuntimeException e) {
                        intake.reject(record, "processing-failed", "key " + record.key(), e.toString());
                    }
                }
                progress.progressed(consumer);
            }
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private static final Set<Class<? extends RegentEvent>> OBSERVATIONS = Set.of(NodeObserved.class);
    private static final Set<Class<? extends RegentEvent>> OPERATIONS = Set.of(OperationUpdated.class);

    /** One record: an observation or an operation update, or skipped and counted (never retried). */
    private void take(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            intake.reject(record, "unreadable", "key " + record.key(), "an empty record (tombstone)");
            return;
        }
        boolean health = record.topic().equals(Topics.NODE_HEALTH.name());
        EventEnvelope event = intake.accept(record, health ? OBSERVATIONS : OPERATIONS);
        if (event != null && event.data() instanceof NodeObserved observed) {
            if (knownAgents != null && !knownAgents.contains(observed.observerId())) {
                intake.reject(record, "unknown-agent", observed.observerId(), "agent " + observed.observerId()
                        + " is not in regent.gateway.agents.known");
                return;
            }
            offer(observed);
        } else if (event != null && event.data() instanceof OperationUpdated operation) {
            feed.publish("operation", operation.clusterId(), operation);
        }
    }

    void offer(NodeObserved observed) {
        offer(new Seen(observed, Instant.now()));
    }

    private void offer(Seen seen) {
        NodeObserved observed = seen.observed();
        byAgent.computeIfAbsent(observed.clusterId(), c -> new ConcurrentHashMap<>()).merge(observed.node() + "/"
                + observed.observerId(), seen, NodeHealthView::newer);
        String key = observed.clusterId() + "/" + observed.node();
        Seen kept = newest.merge(key, seen, NodeHealthView::newer);
        if (kept != seen) {
            return;
        }
        if (observed.reachable() && observed.role() == NodeRole.FOLLOWER && observed.lagBytes() != null) {
            lagHistory.record(observed.clusterId(), observed.node(), seen.receivedAt(), observed.lagBytes());
        }
        HealthSummary summary = HealthSummary.of(seen, config.routing());
        HealthSummary last = sent.get(key);
        if (last == null || !last.sameState(summary)
                || !summary.receivedAt().isBefore(last.receivedAt().plus(config.feed().healthInterval()))) {
            sent.put(key, summary);
            feed.publish("health", observed.clusterId(), summary);
        }
    }

    /**
     * The one to keep: the one received later - unless both come from one agent and it probed later for the
     * other (a record delivered out of order). Instants of two agents are never compared: their clocks differ.
     */
    private static Seen newer(Seen current, Seen next) {
        boolean sameAgent = current.observed().observerId().equals(next.observed().observerId());
        if (sameAgent) {
            return next.observed().observedAt().isBefore(current.observed().observedAt()) ? current : next;
        }
        return next.receivedAt().isBefore(current.receivedAt()) ? current : next;
    }

    /**
     * Each follower's lag over the last 10 minutes (one point per 2 s at most; since this gateway started), in the
     * engine's unit: the dashboard's lag chart after a reload.
     */
    public LagHistoryView lagHistory(String clusterId, String unit) {
        return new LagHistoryView(unit, lagHistory.of(clusterId, Instant.now()));
    }

    /** The lag history of a cluster's followers, as the API returns it. */
    public record LagHistoryView(String unit, List<LagHistory.Series> nodes) {
    }

    /** What every agent last saw of every node of the cluster (since this gateway started), by node then agent. */
    public List<HealthSummary> byAgent(String clusterId) {
        return byAgent.getOrDefault(clusterId, Map.of()).values().stream()
                .map(seen -> HealthSummary.of(seen, config.routing()))
                .sorted(Comparator.comparing(HealthSummary::node).thenComparing(HealthSummary::observerId)).toList();
    }

    /** Drops what is known of a deleted cluster. */
    public void forget(String clusterId) {
        lagHistory.forget(clusterId);
        byAgent.remove(clusterId);
        newest.keySet().removeIf(key -> key.startsWith(clusterId + "/"));
        sent.keySet().removeIf(key -> key.startsWith(clusterId + "/"));
    }

    /**
     * The observation of a node received last, if it was received recently enough to act on at {@code now} (this
     * gateway's clock: an agent's clock set wrong neither ages nor freshens what it reports).
     */
    public Optional<NodeObserved> fresh(String clusterId, String node, Instant now) {
        Seen seen = newest.get(clusterId + "/" + node);
        if (seen == null || seen.receivedAt().isBefore(now.minus(config.routing().maxObservationAge()))) {
            return Optional.empty();
        }
        return Optional.of(seen.observed());
    }

    private static void sleep() {
        try {
            Thread.sleep(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
