package io.regent.monitor.probe;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.engines.NodeTarget;
import io.regent.events.NodeObserved;
import io.regent.events.ProbeErrorKind;
import io.regent.engines.Observer;
import io.regent.engines.EngineRouter;
import io.regent.engines.mariadb.MariaDbAdapter;
import io.regent.engines.postgres.PostgresAdapter;
import io.regent.monitor.config.MonitorConfig;
import io.regent.monitor.node.LocalNodeAgent;
import io.regent.monitor.node.ServerWatch;
import io.regent.monitor.messaging.ObservationPublisher;
import io.regent.monitor.routing.LocalFacts;
import io.regent.monitor.topology.WatchedNodes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Probes every watched node once per interval, each on its own pool thread, so a slow or frozen
 * node (bounded by the probe timeout) never delays the others. A node whose previous probe is still
 * running is skipped for that tick rather than probed twice.
 */
@ApplicationScoped
public class ProbeScheduler {

    private static final Logger LOG = Logger.getLogger(ProbeScheduler.class);

    private final MonitorConfig config;
    private final WatchedNodes nodes;
    private final ObservationPublisher publisher;
    private final MeterRegistry meters;
    private final LocalNodeAgent localNode;
    private final LocalFacts localFacts;
    private final ServerWatch serverWatch;
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    /** Nodes whose last probe failed: the first failure of a run is rechecked soon ({@code refused-recheck}). */
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    /** One timer per node (count, sum, max: cheap enough for thousands), looked up once rather than built per probe. */
    private final java.util.Map<String, Timer> timers = new ConcurrentHashMap<>();
    /** Every probe of this agent, with percentiles over the last ~30 s: the fleet-wide latency. */
    private Timer allProbes;
    private final AtomicInteger skipped = new AtomicInteger();
    private volatile Instant lastRound;
    private ScheduledExecutorService ticker;
    private ExecutorService probes;
    /** The engines this agent can probe; nodes of other engines are not probed (and said so once). */
    private EngineRouter engines;
    private final Set<String> unsupported = ConcurrentHashMap.newKeySet();
    private volatile java.util.Map<String, NodeTarget> known = new java.util.HashMap<>();

    public ProbeScheduler(MonitorConfig config, WatchedNodes nodes, ObservationPublisher publisher,
            MeterRegistry meters, LocalNodeAgent localNode, LocalFacts localFacts, ServerWatch serverWatch) {
        this.config = config;
        this.serverWatch = serverWatch;
        this.localFacts = localFacts;
        this.localNode = localNode;
        this.nodes = nodes;
        this.publisher = publisher;
        this.meters = meters;
    }

    void onStart(@Observes StartupEvent event) {
        if (config.probeTimeout().compareTo(config.probeInterval()) >= 0) {
            throw new IllegalStateException("regent.monitor.probe-timeout (" + config.probeTimeout()
                    + ") must be shorter than regent.monitor.probe-interval (" + config.probeInterval() + ")");
        }
        Observer observer = new Observer(config.agentId(), config.zone());
        engines = new EngineRouter(List.of(new PostgresAdapter(observer, config.heartbeat()),
                new MariaDbAdapter(observer, config.heartbeat())));
        probes = Executors.newFixedThreadPool(config.probeThreads(), runnable -> {
            Thread thread = new Thread(runnable, "regent-probe");
            thread.setDaemon(true);
            return thread;
        });
        ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "regent-probe-ticker");
            thread.setDaemon(true);
            return thread;
        });
        long interval = config.probeInterval().toMillis();
        ticker.scheduleAtFixedRate(this::tick, 0, interval, TimeUnit.MILLISECONDS);
        nodes.whenApplied(snapshot -> probeOwnNode(snapshot.clusterId()));
        serverWatch.whenStopped(() -> probeOwnNode(config.node().clusterId().orElse("")));
        meters.gauge("regent.probe.skipped", skipped);
        allProbes = Timer.builder("regent.probe.latency").description("every probe of this agent")
                .publishPercentiles(0.5, 0.95, 0.99).distributionStatisticExpiry(java.time.Duration.ofSeconds(30))
                .distributionStatisticBufferLength(3).register(meters);
        LOG.infof("agent %s (zone %s) probing every %s, timeout %s", config.agentId(), config.zone(),
                config.probeInterval(), config.probeTimeout());
    }

    void onStop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            ticker.shutdownNow();
            probes.shutdownNow();
            engines.close();
        }
    }

    /** When the last probe round was started; readiness fails when it is too old. */
    public Instant lastRound() {
        return lastRound;
    }

    private void tick() {
        try {
            java.util.Map<String, NodeTarget> current = new java.util.HashMap<>();
            for (NodeTarget node : nodes.all()) {
                current.put(node.key(), node);
                // runs on this same single ticker thread, after this round's bookkeeping below
                ticker.schedule(() -> start(node), spread(node), TimeUnit.MILLISECONDS);
            }
            for (java.util.Map.Entry<String, NodeTarget> gone : known.entrySet()) {
                if (!current.containsKey(gone.getKey())) {
                    engines.forget(gone.getValue()); // removed from the topology: close its connection
                    failing.remove(gone.getKey());
                    Timer timer = timers.remove(gone.getKey());
                    if (timer != null) {
                        meters.remove(timer);
                    }
                }
            }
            known = current;
            lastRound = Instant.now();
        } catch (RuntimeException e) {
            LOG.error("probe round failed", e);
        }
    }

    /**
     * Node mode: the agent's own node is probed at once rather than at its place in the round - on a new topology
     * of its cluster, so that the routing checks see a node just promoted as writable with the epoch that made it
     * leader; and when the server watch saw its server stop, so that the failover-service hears of a dead server
     * (refused, and no postmaster) within about the watch interval - not up to a probe interval later.
     */
    private void probeOwnNode(String clusterId) {
        if (!localNode.enabled() || ticker == null) {
            return;
        }
        ticker.execute(() -> known.values().stream().filter(n -> localNode.isOwn(n.clusterId(), n.name())
                && n.clusterId().equals(clusterId)).findFirst().ifPresent(this::start));
    }

    private void start(NodeTarget node) {
        if (!known.containsKey(node.key())) {
            return; // left the topology since the tick (its connection is already closed)
        }
        if (!running.add(node.key())) {
            skipped.incrementAndGet(); // still busy with the previous probe
            return;
        }
        probes.execute(() -> probe(node));
    }

    /**
     * Where in the interval this node's probe starts: the same place every round (so each node is
     * still probed once per interval) but different places for different nodes, so that thousands
     * of probes do not hit the servers, the pool and the login path in one burst.
     */
    private long spread(NodeTarget node) {
        if (!config.spreadProbes()) {
            return 0;
        }
        return Math.floorMod(node.key().hashCode(), config.probeInterval().toMillis());
    }

    /**
     * The first refused probe of a run is followed by another after {@code refused-recheck} (200 ms) instead of a
     * whole interval: the failover-service counts a failure only after two probes, so a dead server's second
     * refusal - the evidence - comes 200 ms after its first. A refusal is quick and cheap to repeat; a timeout
     * (weak evidence, and it already took the timeout) waits for the next tick.
     */
    private void recheckIfJustRefused(NodeTarget node, NodeObserved observation) {
        if (observation.reachable()) {
            failing.remove(node.key());
            return;
        }
        boolean first = failing.add(node.key());
        if (first && observation.error().kind() == ProbeErrorKind.REFUSED && !config.refusedRecheck().isZero()) {
            ticker.schedule(() -> start(node), config.refusedRecheck().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void probe(NodeTarget node) {
        try {
            if (!engines.supports(node.engine())) {
                if (unsupported.add(node.clusterId())) {
                    LOG.warnf("cluster %s: engine %s is not supported by this agent; its nodes are not probed",
                            node.clusterId(), node.engine());
                }
                return;
            }
            NodeObserved observation = engines.probe(node, config.probeTimeout());
            if (localNode.isOwn(node.clusterId(), node.name())) {
                // where to send node actions; and, when the probe failed, whether the server's process is there at all
                observation = observation.asOwnAgent(localNode.endpoint(),
                        observation.reachable() ? Boolean.TRUE : localNode.serverRunning());
            }
            timers.computeIfAbsent(node.key(), key -> Timer.builder("regent.probe.duration")
                    .tag("cluster", node.clusterId()).tag("node", node.name()).register(meters))
                    .record(observation.probeMillis(), TimeUnit.MILLISECONDS);
            allProbes.record(observation.probeMillis(), TimeUnit.MILLISECONDS);
            if (!observation.reachable()) {
                meters.counter("regent.probe.errors", "kind", observation.error().kind().name()).increment();
            }
            localFacts.probed(observation); // the routing checks answer from it, whatever becomes of Kafka
            publisher.publish(observation);
            recheckIfJustRefused(node, observation);
        } catch (RuntimeException e) {
            LOG.errorf(e, "probing %s failed unexpectedly", node);
        } finally {
            running.remove(node.key());
        }
    }
}
