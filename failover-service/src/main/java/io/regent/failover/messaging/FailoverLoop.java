package io.regent.failover.messaging;

import io.micrometer.core.instrument.Gauge;
import io.regent.failover.execution.OperationLogContext;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.EventEnvelope;
import io.regent.events.FailoverRequested;
import io.regent.events.MaintenanceChanged;
import io.regent.events.NodeObserved;
import io.regent.events.OperationKind;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import io.regent.events.RegentEvent;
import io.regent.events.RejoinRequested;
import io.regent.events.SwitchoverRequested;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.events.kafka.CommandSignature;
import io.regent.events.kafka.ConsumerProgress;
import io.regent.events.kafka.RecordIntake;
import io.regent.events.kafka.TopologyFeed;
import io.regent.failover.cluster.ClusterGauges;
import io.regent.failover.cluster.ClusterState;
import io.regent.failover.config.FailoverConfig;
import io.regent.failover.decision.ClusterPolicy;
import io.regent.failover.decision.ClusterSnapshot;
import io.regent.failover.decision.Decider;
import io.regent.failover.decision.Decision;
import io.regent.failover.execution.FailoverExecutor;
import io.regent.failover.node.RejoinExecutor;
import io.regent.failover.registry.RegistryApi;
import io.regent.failover.registry.RegistryRequests;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * The service's one consumer: a group member over node health and commands, both keyed by cluster
 * id with the same partition count, so the range assignor gives one instance a cluster's health
 * and its commands together - that instance alone decides for the cluster. On getting a partition
 * it replays the last {@code health-replay} of observations and reads the registry before it
 * decides anything; on losing one it stops acting for those clusters at the next step.
 */
@ApplicationScoped
public class FailoverLoop {

    private static final Logger LOG = Logger.getLogger(FailoverLoop.class);
    private static final Duration RELOAD_BACKOFF = Duration.ofSeconds(1);
    private static final Duration RETRY_BACKOFF = Duration.ofSeconds(1);
    /** A Wait that lasts is logged again this often (a held-back failover must show). */
    private static final Duration WAIT_LOGGED_EVERY = Duration.ofSeconds(10);
    /** A node waiting for its rejoin is logged again this often while it waits. */
    private static final Duration REJOIN_WAIT_LOGGED_EVERY = Duration.ofSeconds(30);
    /** How often the cluster and node gauges are set: finer than any scrape interval worth having. */
    private static final Duration GAUGES_EVERY = Duration.ofSeconds(1);

    private final FailoverConfig config;
    private final Map<String, Object> kafkaConfig;
    private final RegistryApi registry;
    private final FailoverExecutor executor;
    private final RejoinExecutor rejoins;
    private final MeterRegistry metrics;
    private final ClusterGauges gauges;
    /** When the gauges were last set: at most every {@link #GAUGES_EVERY}, not every tick. */
    private Instant gaugesSetAt = Instant.EPOCH;

    /** Every cluster's latest topology, from the compacted topic: tells which clusters an owned partition holds. */
    private final Map<String, TopologyChanged> topologies = new ConcurrentHashMap<>();
    private final Map<String, ClusterState> owned = new ConcurrentHashMap<>();
    private final Set<Integer> ownedPartitions = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> loadAttempts = new ConcurrentHashMap<>();
    private final Set<String> stale = ConcurrentHashMap.newKeySet();
    /** Clusters whose tombstone was seen: replayed observations must not bring them back. */
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();
    /** Set when the known clusters or the owned partitions change; the next evaluation looks for new owned clusters. */
    private volatile boolean membershipChanged;
    private final Map<Class<?>, Counter> decisions = new ConcurrentHashMap<>();
    /** Commands that arrived before their cluster was loaded or while it was busy, in order. */
    private final Map<String, Deque<RegentEvent>> pending = new HashMap<>();
    private final ExecutorService workers = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "regent-failover-exec");
        thread.setDaemon(true);
        return thread;
    });

    private volatile boolean running;
    private TopologyFeed feed;
    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;
    private final ConsumerProgress progress = new ConsumerProgress("regent-failover-loop");
    private final RecordIntake intake;
    private final Map<String, Counter> rejections = new ConcurrentHashMap<>();
    private final List<PublicKey> commandKeys;
    /** Agent ids whose observations count; {@code *} trusts every id (tests, a deployment that chooses so). */
    private final Set<String> knownAgents;

    public FailoverLoop(FailoverConfig config, @Identifier("default-kafka-broker") Map<String, Object> kafkaConfig,
            @RestClient RegistryApi registry, FailoverExecutor executor, RejoinExecutor rejoins, MeterRegistry metrics,
            ClusterGauges gauges) {
        this.gauges = gauges;
        this.rejoins = rejoins;
        this.config = config;
        this.kafkaConfig = kafkaConfig;
        this.registry = registry;
        this.executor = executor;
        this.metrics = metrics;
        this.intake = new RecordIntake("failover-service", this::rejected);
        this.commandKeys = config.commands().verifyKeys().orElse(List.of()).stream().filter(k -> !k.isBlank())
                .map(CommandSignature::publicKey).toList();
        this.knownAgents = Set.copyOf(config.agents().known().orElse(List.of()));
    }

    /** Counts a skipped record: {@code regent_kafka_records_rejected_total{topic, reason}}. */
    private void rejected(String topic, String reason) {
        rejections.computeIfAbsent(topic + "|" + reason, k -> metrics.counter("regent_kafka_records_rejected_total",
                "topic", topic, "reason", reason)).increment();
    }

    /** The loop's and the topology feed's progress, for readiness. */
    public List<ConsumerProgress> consumers() {
        return feed == null ? List.of(progress) : List.of(progress, feed.progress());
    }

    void onStart(@Observes StartupEvent event) {
        feed = TopologyFeed.start(kafkaConfig, "regent-failover-topology-" + config.instanceId(), null,
                this::topologyChanged, this::clusterDeleted, this::rejected);
        // how far behind its topics each consumer is (records; NaN until its first fetch): observations and
        // commands read late are decisions taken late
        Gauge.builder("regent_kafka_consumer_lag_records", progress, ConsumerProgress::lagRecords)
                .tag("consumer", "health-and-commands").strongReference(true).register(metrics);
        Gauge.builder("regent_kafka_consumer_lag_records", feed.progress(), ConsumerProgress::lagRecords)
                .tag("consumer", "topology").strongReference(true).register(metrics);
        if (commandKeys.isEmpty()) {
            LOG.error("no command verification key (regent.failover.commands.verify-keys, REGENT_COMMAND_VERIFY_KEYS): "
                    + "every switchover, failover and maintenance command is dropped");
        }
        if (knownAgents.isEmpty()) {
            LOG.error("no known agents (regent.failover.agents.known, REGENT_KNOWN_AGENTS): no observation counts, "
                    + "so no failover can happen");
        } else if (knownAgents.contains("*")) {
            LOG.warn("regent.failover.agents.known is '*': an observation from any agent id counts");
        }
        Map<String, Object> props = new HashMap<>(kafkaConfig);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, config.consumerGroup());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "regent-failover-" + config.instanceId());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
        // a dead instance's clusters move to another within seconds, not the default 45
        props.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000);
        props.putIfAbsent(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_500);
        // records are decoded one by one (RecordIntake): an unreadable one is skipped and counted, never retried
        consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        running = true;
        thread = new Thread(this::run, "regent-failover-loop");
        thread.setDaemon(true);
        thread.start();
        LOG.infof("failover-service %s started: group %s, tick %s, observations valid %s", config.instanceId(),
                config.consumerGroup(), config.tick(), config.observationMaxAge());
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
        }
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (feed != null) {
            feed.close();
        }
        workers.shutdownNow();
    }

    private void topologyChanged(TopologyChanged snapshot) {
        if (topologies.put(snapshot.clusterId(), snapshot) == null) {
            membershipChanged = true;
        }
        deleted.remove(snapshot.clusterId());
        ClusterState state = owned.get(snapshot.clusterId());
        if (state != null) {
            state.topology(snapshot);
            stale.add(snapshot.clusterId()); // its policy may have changed too
        }
    }

    private void clusterDeleted(String clusterId) {
        topologies.remove(clusterId);
        deleted.add(clusterId);
        ClusterState state = owned.remove(clusterId);
        if (state != null) {
            state.release();
        }
    }

    /** Clusters this instance decides for now (for health and tests). */
    public Collection<String> ownedClusters() {
        return List.copyOf(owned.keySet());
    }

    static int partitionOf(String clusterId) {
        return Utils.toPositive(Utils.murmur2(clusterId.getBytes(StandardCharsets.UTF_8))) % Topics.PARTITIONS;
    }

    private void run() {
        try {
            consumer.subscribe(List.of(Topics.NODE_HEALTH.name(), Topics.COMMANDS.name()), new Rebalance());
            while (running) {
                for (ConsumerRecord<String, byte[]> record : pollSafely()) {
                    if (!ownedPartitions.contains(record.partition())) {
                        continue;
                    }
                    try {
                        take(record);
                    } catch (RuntimeException e) {
                        intake.reject(record, "processing-failed", "key " + record.key(), e.toString());
                    }
                }
                evaluate(Instant.now());
            }
        } catch (WakeupException e) {
            // shutting down
        } catch (RuntimeException e) {
            LOG.error("the failover loop stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private static final Set<Class<? extends RegentEvent>> OBSERVATIONS = Set.of(NodeObserved.class);
    private static final Set<Class<? extends RegentEvent>> COMMANDS = Set.of(FailoverRequested.class,
            SwitchoverRequested.class, MaintenanceChanged.class, RejoinRequested.class);

    /**
     * One record through the door: observations only from known agents, commands only signed by a gateway for
     * a requester with a role that may ask; anything else is skipped and counted (DESIGN.md invariant 12).
     */
    private void take(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            intake.reject(record, "unreadable", "key " + record.key(), "an empty record (tombstone) on " + record.topic());
            return;
        }
        boolean health = record.topic().equals(Topics.NODE_HEALTH.name());
        EventEnvelope envelope = intake.accept(record, health ? OBSERVATIONS : COMMANDS);
        if (envelope == null || deleted.contains(record.key())) {
            return;
        }
        if (envelope.data() instanceof NodeObserved observed) {
            if (!knownAgents.contains("*") && !knownAgents.contains(observed.observerId())) {
                intake.reject(record, "unknown-agent", observed.observerId(), "agent " + observed.observerId()
                        + " is not in regent.failover.agents.known: its observations do not count");
                return;
            }
            Long replayEnd = replayEnds.get(record.partition());
            boolean replayed = replayEnd != null && record.offset() < replayEnd;
            Instant receivedAt = receivedAt(observed, Instant.now(), replayed);
            stateOf(observed.clusterId()).record(observed, receivedAt);
            if (!replayed) {
                clockOffset(observed, receivedAt);
            }
            return;
        }
        CommandSignature.Verdict verdict = CommandSignature.verify(commandKeys, record.topic(), record.key(),
                record.value(), record.headers(), Instant.now(), config.commands().maxAge());
        String requestedBy = requestedBy(envelope.data());
        if (!verdict.accepted()) {
            intake.reject(record, "unverified-command", String.valueOf(envelope.source()), verdict.reason()
                    + " (claims to come from " + requestedBy + ")");
            return;
        }
        if (!verdict.requester().equals(requestedBy)) {
            intake.reject(record, "unverified-command", String.valueOf(envelope.source()), "signed for "
                    + verdict.requester() + " but names " + requestedBy + " as the requester");
            return;
        }
        pending.computeIfAbsent(record.key(), k -> new ArrayDeque<>()).add(envelope.data());
    }

    private static String requestedBy(RegentEvent command) {
        if (command instanceof FailoverRequested request) {
            return request.requestedBy();
        } else if (command instanceof SwitchoverRequested request) {
            return request.requestedBy();
        } else if (command instanceof RejoinRequested request) {
            return request.requestedBy();
        }
        return ((MaintenanceChanged) command).requestedBy();
    }

    private Iterable<ConsumerRecord<String, byte[]>> pollSafely() {
        try {
            ConsumerRecords<String, byte[]> records = consumer.poll(config.tick());
            progress.progressed(consumer);
            return records;
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            // e.g. a revoked grant: retried each tick, and readiness shows the stall
            progress.failed(e.toString());
            LOG.warnf("polling failed, retrying: %s", e.toString());
            sleepQuietly(RETRY_BACKOFF);
            return List.of();
        }
    }

    private static void sleepQuietly(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ClusterState stateOf(String clusterId) {
        return owned.computeIfAbsent(clusterId, ClusterState::new);
    }

    private void evaluate(Instant now) {
        if (membershipChanged) {
            // a new cluster or a rebalance: pick up the owned clusters no observation has announced yet
            membershipChanged = false;
            for (String clusterId : topologies.keySet()) {
                if (ownedPartitions.contains(partitionOf(clusterId))) {
                    stateOf(clusterId);
                }
            }
        }
        for (ClusterState state : owned.values()) {
            try (OperationLogContext context = OperationLogContext.cluster(state.clusterId())) {
                evaluate(state, now);
            } catch (RuntimeException e) {
                LOG.errorf(e, "cluster %s: evaluation failed", state.clusterId());
            }
        }
        if (!now.isBefore(gaugesSetAt.plus(GAUGES_EVERY))) {
            gaugesSetAt = now;
            try {
                gauges.refresh(owned.values().stream().map(ClusterState::snapshot).filter(Objects::nonNull).toList(),
                        now);
            } catch (RuntimeException e) {
                LOG.errorf(e, "the cluster gauges could not be set");
            }
        }
    }

    private void evaluate(ClusterState state, Instant now) {
        String id = state.clusterId();
        if (!topologies.containsKey(id)) {
            return; // not (yet) in the topology topic: unknown to the registry or deleted
        }
        if (!state.loaded() || stale.contains(id)) {
            Instant last = loadAttempts.get(id);
            if ((last == null || last.plus(RELOAD_BACKOFF).isBefore(now)) && state.tryBusy()) {
                loadAttempts.put(id, now);
                stale.remove(id);
                submit(state, () -> load(state));
            }
            if (!state.loaded()) {
                return; // nothing is decided on a cluster whose registry state is unknown (invariant 8)
            }
        }
        if (state.backingOff(now)) {
            return; // the last attempt failed a moment ago: do not hammer an unreachable registry or node
        }
        if (state.runningOperation() != null) {
            if (state.tryBusy()) {
                UUID running = state.runningOperation();
                submit(state, () -> executor.resume(state, running));
            }
            return;
        }
        Deque<RegentEvent> commands = pending.get(id);
        if (commands != null && !commands.isEmpty()) {
            if (state.tryBusy()) {
                RegentEvent command = commands.poll();
                submit(state, () -> command(state, command, now));
            }
            return;
        }
        ClusterSnapshot snapshot = state.snapshot();
        Decision decision = Decider.decide(snapshot, now);
        decisions.computeIfAbsent(decision.getClass(), kind -> metrics.counter("regent_failover_decisions_total",
                "decision", kind.getSimpleName())).increment();
        boolean worthLogging = state.decisionWorthLogging(decision, now, WAIT_LOGGED_EVERY);
        if (decision instanceof Decision.NoAction || decision instanceof Decision.Wait) {
            if (worthLogging) {
                LOG.infof("cluster %s: %s: %s", id, decision.getClass().getSimpleName(), decision.reason());
            }
            // not while an execution is in flight: a command being carried out may be an operator's rejoin that
            // has not marked itself started yet - two rejoins at once would have the agent refuse one
            if (!state.busy()) {
                Decision healing = Decider.decideRejoin(snapshot, now);
                if (healing instanceof Decision.Rejoin rejoin) {
                    state.rejoinDecisionWorthLogging(healing, now, REJOIN_WAIT_LOGGED_EVERY); // RejoinExecutor logs it
                    startRejoin(state, rejoin, UUID.randomUUID(), "system");
                } else if (!snapshot.bookkeeping().rejoining() // the running rejoin logs itself
                        && state.rejoinDecisionWorthLogging(healing, now, REJOIN_WAIT_LOGGED_EVERY)) {
                    LOG.infof("cluster %s: rejoin: %s: %s", id, healing.getClass().getSimpleName(), healing.reason());
                }
            }
        } else if (decision instanceof Decision.Failover failover) {
            if (state.tryBusy()) {
                submit(state, () -> executor.failover(state, failover, "system", now, UUID.randomUUID()));
            }
        } else if (decision instanceof Decision.Fence fence) {
            if (state.tryBusy()) {
                submit(state, () -> executor.fence(state, fence));
            }
        } else if (decision instanceof Decision.Unfence unfence) {
            if (state.tryBusy()) {
                state.unfenced(now);
                submit(state, () -> executor.unfence(state, unfence));
            }
        } else if (decision instanceof Decision.Refuse refuse) {
            if (state.tryBusy()) {
                state.refused(refuse.epoch());
                submit(state, () -> executor.refuse(state, refuse, OperationKind.FAILOVER, "system", UUID.randomUUID()));
            }
        } else if (decision instanceof Decision.EndMaintenance end) {
            if (state.tryBusy()) {
                submit(state, () -> {
                    switchMaintenance(state, false, end.reason());
                    state.maintenanceUntil(null);
                });
            }
        }
    }

    /**
     * How far each agent's clock runs ahead of this instance's (negative: behind), as the newest probe's end
     * by its clock against its receipt here; Kafka's delivery makes it read a little low. The decisions do
     * not depend on it (they use durations measured on one clock), but a clock this far off is worth an
     * operator's look: {@code regent_observer_clock_offset_seconds}, and a warning past {@link #SKEW_WARNING}.
     */
    private void clockOffset(NodeObserved observed, Instant receivedAt) {
        long probe = observed.probeMillis() == null ? 0 : observed.probeMillis();
        long offset = Duration.between(receivedAt, observed.observedAt().plusMillis(probe)).toMillis();
        AtomicLong gauge = clockOffsets.computeIfAbsent(observed.observerId(), agent -> {
            AtomicLong value = new AtomicLong();
            metrics.gauge("regent_observer_clock_offset_seconds", Tags.of("observer", agent), value,
                    v -> v.get() / 1000.0);
            return value;
        });
        long previous = gauge.getAndSet(offset);
        if (Math.abs(offset) > SKEW_WARNING.toMillis() && Math.abs(previous) <= SKEW_WARNING.toMillis()) {
            LOG.warnf("agent %s: its clock is %d ms %s this instance's (the offset of its probes' timestamps to their "
                    + "receipt); decisions use durations measured on one clock, but check its time synchronisation",
                    observed.observerId(), Math.abs(offset), offset > 0 ? "ahead of" : "behind");
        }
    }

    /**
     * When an observation counts as received, on this instance's clock: now - except for the history
     * replayed on taking a cluster over, which arrived long after it was made: its own timestamp then,
     * never later than now (the only place an agent's clock is trusted, and only for the replay).
     */
    static Instant receivedAt(NodeObserved observed, Instant now, boolean replayed) {
        return replayed && observed.observedAt().isBefore(now) ? observed.observedAt() : now;
    }

    /** Per node-health partition, the end of the history replayed when it was assigned. */
    private final Map<Integer, Long> replayEnds = new ConcurrentHashMap<>();

    /** An agent's clock this far from this instance's is logged (once, when it gets there). */
    static final Duration SKEW_WARNING = Duration.ofMillis(500);

    private final Map<String, AtomicLong> clockOffsets = new ConcurrentHashMap<>();

    /**
     * A rejoin runs beside the decisions, not under the cluster's busy flag: a rewind or a base backup takes
     * seconds to minutes, and a failover must never wait for one (the agent refuses a stale epoch after it).
     */
    private void startRejoin(ClusterState state, Decision.Rejoin rejoin, UUID operationId, String initiator) {
        state.rejoinStarted();
        workers.execute(() -> {
            // after a success, let every agent probe the node again before judging it anew
            Instant next = Instant.now().plus(config.observationMaxAge());
            try {
                rejoins.rejoin(state, rejoin, operationId, initiator);
            } catch (RuntimeException e) {
                next = Instant.now().plus(rejoins.retryAfter(e));
            } finally {
                state.rejoinEnded(next);
            }
        });
    }

    private void command(ClusterState state, RegentEvent command, Instant now) {
        if (command instanceof FailoverRequested request) {
            Decision decision = Decider.decideRequested(state.snapshot(), request, now);
            LOG.infof("cluster %s: failover requested by %s (%s): %s", state.clusterId(), request.requestedBy(),
                    request.requestId(), decision.reason());
            if (decision instanceof Decision.Failover failover) {
                executor.failover(state, failover, request.requestedBy(), now, request.requestId());
            } else if (decision instanceof Decision.Switchover handOver) { // the leader is alive: nothing is lost
                executor.switchover(state, handOver, request.requestedBy(), request.requestId());
            } else if (decision instanceof Decision.Refuse refuse) {
                executor.refuse(state, refuse, OperationKind.FAILOVER, request.requestedBy(), request.requestId());
            }
        } else if (command instanceof SwitchoverRequested request) {
            Decision decision = Decider.decideSwitchover(state.snapshot(), request, now);
            LOG.infof("cluster %s: switchover requested by %s (%s): %s", state.clusterId(), request.requestedBy(),
                    request.requestId(), decision.reason());
            if (decision instanceof Decision.Switchover switchover) {
                executor.switchover(state, switchover, request.requestedBy(), request.requestId());
            } else if (decision instanceof Decision.Refuse refuse) {
                executor.refuse(state, refuse, OperationKind.SWITCHOVER, request.requestedBy(), request.requestId());
            }
        } else if (command instanceof RejoinRequested request) {
            Decision decision = Decider.decideRejoinRequested(state.snapshot(), request, now);
            LOG.infof("cluster %s: %s requested by %s (%s): %s", state.clusterId(), request.kind(),
                    request.requestedBy(), request.requestId(), decision.reason());
            if (decision instanceof Decision.Rejoin rejoin) {
                startRejoin(state, rejoin, request.requestId(), request.requestedBy());
            } else if (decision instanceof Decision.Refuse refuse) {
                executor.refuse(state, refuse, request.kind(), request.requestedBy(), request.requestId());
            }
        } else if (command instanceof MaintenanceChanged request) {
            String reason = (request.enabled() ? "maintenance on" : "maintenance off") + " requested by "
                    + request.requestedBy() + (request.reason() == null ? "" : ": " + request.reason());
            switchMaintenance(state, request.enabled(), reason);
            state.maintenanceUntil(request.enabled() ? request.until() : null);
        }
    }

    /** The registry holds the flag (and announces it); the local view is refreshed at once. */
    private void switchMaintenance(ClusterState state, boolean enabled, String reason) {
        registry.maintenance(state.clusterId(), new RegistryRequests.Maintenance(enabled, reason));
        state.topology(registry.topology(state.clusterId()));
        LOG.infof("cluster %s: %s", state.clusterId(), reason);
    }

    /** Reads what the registry knows: topology, policy, a running operation, the last failover. */
    private void load(ClusterState state) {
        String id = state.clusterId();
        RegistryRequests.ClusterView cluster = registry.cluster(id);
        state.topology(registry.topology(id));
        state.policy(policy(cluster.failoverPolicy()));
        List<OperationUpdated> recent = registry.operations(id, 0, 20).items();
        recent.stream().filter(op -> op.status() == OperationStatus.RUNNING && (op.kind() == OperationKind.FAILOVER
                        || op.kind() == OperationKind.SWITCHOVER || op.kind() == OperationKind.UNFENCE))
                .findFirst().ifPresent(op -> state.runningOperation(op.operationId()));
        recent.stream().filter(op -> op.status() == OperationStatus.SUCCEEDED && op.kind() == OperationKind.FAILOVER)
                .map(OperationUpdated::finishedAt).filter(Objects::nonNull).max(Instant::compareTo)
                .ifPresent(state::lastFailoverAt);
        LOG.infof("cluster %s: loaded from the registry at epoch %d, leader %s%s", id, state.topology().epoch(),
                state.topology().leader(), state.runningOperation() == null ? ""
                        : ", operation " + state.runningOperation() + " running");
    }

    private ClusterPolicy policy(RegistryRequests.Policy policy) {
        return new ClusterPolicy(policy == null || policy.automatic() == null || policy.automatic(),
                Duration.ofMillis(policy == null || policy.detectionWindowMillis() == null ? 1_500
                        : policy.detectionWindowMillis()),
                policy == null || policy.observerQuorum() == null ? 2 : policy.observerQuorum(),
                policy == null || policy.maxLagOnFailoverBytes() == null ? 16L << 20 : policy.maxLagOnFailoverBytes(),
                policy != null && Boolean.TRUE.equals(policy.rpoZeroRequired()),
                config.minFailoverInterval(), config.observationMaxAge(),
                policy == null || policy.autoRejoin() == null || policy.autoRejoin(), config.followerRepairAfter());
    }

    private void submit(ClusterState state, Runnable work) {
        workers.execute(() -> {
            try (OperationLogContext context = OperationLogContext.cluster(state.clusterId())) {
                work.run();
            } catch (RuntimeException e) {
                state.backOff(Instant.now().plus(RETRY_BACKOFF));
                report(state, e);
            } finally {
                state.idle();
            }
        });
    }

    private static void report(ClusterState state, RuntimeException failure) {
        if (failure instanceof jakarta.ws.rs.WebApplicationException web && web.getResponse().getStatus() == 404) {
            LOG.infof("cluster %s: no longer in the registry", state.clusterId()); // deleted meanwhile
        } else {
            LOG.errorf("cluster %s: %s", state.clusterId(), failure.getMessage());
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            for (TopicPartition partition : partitions) {
                if (partition.topic().equals(Topics.NODE_HEALTH.name())) {
                    ownedPartitions.remove(partition.partition());
                }
            }
            owned.values().removeIf(state -> {
                boolean gone = !ownedPartitions.contains(partitionOf(state.clusterId()));
                if (gone) {
                    state.release();
                    LOG.infof("cluster %s: handed over to another instance", state.clusterId());
                }
                return gone;
            });
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            Map<TopicPartition, Long> replayFrom = new HashMap<>();
            long since = System.currentTimeMillis() - config.healthReplay().toMillis();
            for (TopicPartition partition : partitions) {
                if (partition.topic().equals(Topics.NODE_HEALTH.name())) {
                    ownedPartitions.add(partition.partition());
                    replayFrom.put(partition, since);
                    membershipChanged = true;
                }
            }
            if (!replayFrom.isEmpty()) {
                Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(replayFrom,
                        Duration.ofSeconds(10));
                offsets.forEach((partition, offset) -> {
                    if (offset != null) {
                        consumer.seek(partition, offset.offset());
                    } else {
                        consumer.seekToEnd(List.of(partition));
                    }
                });
                consumer.endOffsets(replayFrom.keySet(), Duration.ofSeconds(10))
                        .forEach((partition, end) -> replayEnds.put(partition.partition(), end));
                LOG.infof("owning node-health partitions %s (replaying the last %s)", ownedPartitions,
                        config.healthReplay());
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            onPartitionsRevoked(partitions);
        }
    }
}
