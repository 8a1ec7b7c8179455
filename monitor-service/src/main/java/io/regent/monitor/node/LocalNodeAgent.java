package io.regent.monitor.node;

import io.quarkus.runtime.ShutdownEvent;
import io.regent.engines.Deadline;
import io.regent.engines.EngineActionException;
import io.regent.engines.NodeTarget;
import io.regent.engines.Observer;
import io.regent.engines.postgres.LocalNode;
import io.regent.engines.postgres.PostgresAdapter;
import io.regent.engines.postgres.PostgresNodeControl;
import io.regent.engines.postgres.PostgresNodeControl.StopMode;
import io.regent.engines.postgres.PostgresNodeRepair;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.Phases;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.monitor.config.MonitorConfig;
import io.regent.monitor.lease.LeaseRules;
import io.regent.monitor.topology.WatchedNodes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * Node mode: the agent next to a database node carries out actions on it - stop, start, rejoin as a
 * follower of the current leader (pg_rewind, or a rebuild when a rewind is impossible), rebuild - for
 * its own node only, at the cluster's current epoch only, one at a time. Every action is idempotent:
 * a rejoin of a node that already streams from the leader does nothing.
 */
@ApplicationScoped
public class LocalNodeAgent {

    private static final Logger LOG = Logger.getLogger(LocalNodeAgent.class);
    /** What a caller refused because another action runs on the node is told to wait before asking again. */
    static final Duration BUSY_RETRY_AFTER = Duration.ofSeconds(2);

    private final MonitorConfig config;
    private final MonitorConfig.Node node;
    private final WatchedNodes topologies;
    private final OperationsApi operations;
    private final PostgresNodeControl control = new PostgresNodeControl();
    private final PostgresNodeRepair repair = new PostgresNodeRepair("regent-node-agent");
    private final ReentrantLock busy = new ReentrantLock();
    private volatile PostgresAdapter probe;

    public LocalNodeAgent(MonitorConfig config, WatchedNodes topologies, @RestClient OperationsApi operations) {
        this.config = config;
        this.node = config.node();
        this.topologies = topologies;
        this.operations = operations;
    }

    void onStop(@Observes ShutdownEvent event) {
        if (probe != null) {
            probe.close();
        }
    }

    /** Whether this agent runs next to a node ({@code regent.monitor.node.cluster-id} and {@code name} set). */
    public boolean enabled() {
        return node.clusterId().isPresent() && node.name().isPresent() && node.dataDirectory().isPresent();
    }

    /** Whether {@code clusterId}/{@code name} is this agent's own node. */
    public boolean isOwn(String clusterId, String name) {
        return enabled() && node.clusterId().get().equals(clusterId) && node.name().get().equals(name);
    }

    /**
     * Whether the local server's main process runs (its {@code postmaster.pid} names a live process): what this
     * agent alone can see, and what makes a refused connection proof of a dead server rather than of a network
     * fault; false also proves it takes no writes (the lease is given up). Null when it cannot tell.
     */
    public Boolean serverRunning() {
        if (!enabled()) {
            return null;
        }
        try {
            return control.isRunning(bare());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The local server and data directory as they are now, for {@link BootRules}. */
    public BootRules.Local localState() {
        Path data = node.dataDirectory().get();
        return new BootRules.Local(control.isRunning(bare()), Files.isRegularFile(data.resolve("PG_VERSION")),
                Files.exists(data.resolve("standby.signal")) || Files.exists(data.resolve("recovery.signal")));
    }

    /**
     * Starts the local server as it is configured (the agent's boot, {@link NodeBoot}): under the same lock as
     * the node actions, so that a rejoin sent meanwhile waits for it.
     */
    public void startAtBoot(Duration timeout) {
        busy.lock();
        try {
            control.start(bare(), logFile(), timeout);
        } finally {
            busy.unlock();
        }
    }

    /** The local node without settings of its own: enough to check, start and kill it. */
    private LocalNode bare() {
        return new LocalNode(node.name().get(), node.dataDirectory().get(), node.binDirectory(), node.osUser(),
                Map.of(), node.replicationUser(), "");
    }

    /** Where the failover-service reaches this agent's actions. */
    public String endpoint() {
        return node.advertisedUrl().orElseGet(() -> "http://127.0.0.1:"
                + ConfigProvider.getConfig().getOptionalValue("quarkus.http.port", Integer.class).orElse(8080));
    }

    public NodeActionResult perform(NodeActionRequest request) {
        if (!enabled()) {
            throw new NodeActionRefused(404, "Not a node agent", "agent " + config.agentId() + " runs without a "
                    + "local node (set regent.monitor.node.cluster-id, .name and .data-directory to enable node mode)");
        }
        if (!isOwn(request.clusterId(), request.node())) {
            throw new NodeActionRefused(421, "Not this agent's node", "agent " + config.agentId() + " acts only on node "
                    + node.name().get() + " of cluster " + node.clusterId().get() + ", not on " + request.node()
                    + " of cluster " + request.clusterId() + ": send the action to that node's agent");
        }
        TopologyChanged topology = topologies.topology(request.clusterId()).orElseThrow(() -> new NodeActionRefused(
                409, "Topology not known yet", "agent " + config.agentId() + " has not received the topology of "
                        + "cluster " + request.clusterId() + " yet; retry in a moment", Duration.ofSeconds(1)));
        if (request.epoch() > topology.epoch()) {
            // this agent's view lags (its Kafka consumer was cut off or slow): the caller is right, ask again soon
            throw new NodeActionRefused(409, "Stale epoch", "agent " + config.agentId() + " has seen cluster "
                    + request.clusterId() + " only up to epoch " + topology.epoch() + ", the action was decided at "
                    + "epoch " + request.epoch() + "; retry in a moment", Duration.ofSeconds(1));
        }
        if (request.epoch() != topology.epoch()) {
            throw new NodeActionRefused(409, "Stale epoch", "the action was decided at epoch " + request.epoch()
                    + " but cluster " + request.clusterId() + " is at epoch " + topology.epoch()
                    + "; re-read the topology and decide again");
        }
        TopologyNode self = topology.nodes().stream().filter(n -> n.name().equals(request.node())).findFirst()
                .orElseThrow(() -> new NodeActionRefused(409, "Node not in topology", "node " + request.node()
                        + " is not in cluster " + request.clusterId() + "'s topology at epoch " + topology.epoch()));
        boolean leader = request.node().equals(topology.leader());
        if (leader && request.action() != NodeAction.START) {
            throw new NodeActionRefused(409, "Node is the leader", "node " + request.node() + " is the leader of "
                    + "cluster " + request.clusterId() + " at epoch " + topology.epoch() + "; " + request.action()
                    + " would take its writes down. Switch over to another node first");
        }
        if (!busy.tryLock()) {
            // usually the same action sent by the instance that owned the cluster a moment ago: ask again soon
            throw new NodeActionRefused(409, "Node busy", "another action is running on node " + request.node()
                    + "; retry when it has finished", BUSY_RETRY_AFTER);
        }
        try {
            LOG.infof("node %s/%s: %s at epoch %d (operation %s)", request.clusterId(), request.node(), request.action(),
                    request.epoch(), request.operationId());
            Run run = new Run(request, System.nanoTime() + node.actionTimeout().toNanos());
            LocalNode local = local(self);
            switch (request.action()) {
                case STOP -> stop(run, local, request.stopMode() == null ? StopMode.FAST : request.stopMode());
                case START -> start(run, local);
                case REJOIN -> rejoin(run, local, self, leaderOf(topology), false);
                case REBUILD -> rejoin(run, local, self, leaderOf(topology), true);
            }
            LOG.infof("node %s/%s: %s done: %s", request.clusterId(), request.node(), request.action(), run.steps);
            return new NodeActionResult(request.action(), request.clusterId(), request.node(), request.epoch(),
                    List.copyOf(run.steps));
        } catch (EngineActionException e) {
            LOG.warnf("node %s/%s: %s failed: %s", request.clusterId(), request.node(), request.action(),
                    e.getMessage());
            throw new NodeActionRefused(500, "Node action failed", request.action() + " of node " + request.node()
                    + " failed: " + e.getMessage());
        } finally {
            busy.unlock();
        }
    }

    /**
     * Fences the local server for the leader lease: read-only, commits held, client sessions ended, by SQL
     * within {@code sqlBudget}; when that fails and {@code killIfSilent}, SIGKILL of the server - the one fence
     * that lands on a server that does not answer. Skipped while a node action runs: the control plane is
     * handling the node (a rejoin stops it anyway). Returns what was done.
     */
    public String fenceOwnServer(TopologyChanged topology, TopologyNode self, Duration sqlBudget,
            boolean killIfSilent) {
        if (!busy.tryLock()) {
            return "not fenced: a node action runs on " + self.name();
        }
        try {
            probe().fence(target(self, topology.clusterId()), Deadline.after(sqlBudget));
            return self.name() + " fenced: read-only, commits held, client sessions ended";
        } catch (RuntimeException e) {
            if (!killIfSilent) {
                return "fencing " + self.name() + " failed: " + e.getMessage();
            }
            int killed = control.kill(local(self));
            return "fencing " + self.name() + " failed (" + e.getMessage() + "): killed its " + killed
                    + " server processes";
        } finally {
            busy.unlock();
        }
    }

    /**
     * Whether the local server may stay writable with its lease lapsed ({@link LeaseRules#failsafe}): every other
     * node of the topology streams from it now and replied within {@code replyWithin}.
     */
    public LeaseRules.Outcome failsafe(TopologyChanged topology, TopologyNode self, Duration budget,
            Duration replyWithin) {
        NodeObserved observed = probe().probe(target(self, topology.clusterId()), budget);
        if (!observed.reachable() || observed.replicas() == null) {
            return new LeaseRules.Outcome(LeaseRules.Action.FENCE, "the server does not tell its own agent which "
                    + "followers stream from it");
        }
        return LeaseRules.failsafe(topology.nodes().stream().map(TopologyNode::name)
                .filter(name -> !name.equals(self.name())).toList(), observed.replicas(), replyWithin);
    }

    private void stop(Run run, LocalNode local, StopMode mode) {
        boolean wasRunning = control.isRunning(local);
        try {
            control.stop(local, mode, run.remaining(Duration.ofMinutes(1)));
        } catch (EngineActionException e) {
            if (mode == StopMode.IMMEDIATE) {
                throw e;
            }
            LOG.warnf("fast stop of %s failed (%s): stopping immediately", local.name(), e.getMessage());
            control.stop(local, StopMode.IMMEDIATE, run.remaining(Duration.ofSeconds(30)));
        }
        run.step(Phases.STOPPED, wasRunning ? local.name() + " stopped" : local.name() + " was not running");
    }

    private void start(Run run, LocalNode local) {
        boolean wasRunning = control.isRunning(local);
        control.start(local, logFile(), run.remaining(Duration.ofMinutes(2)));
        run.step(Phases.STARTED, wasRunning ? local.name() + " was already running" : local.name() + " started");
    }

    private void rejoin(Run run, LocalNode local, TopologyNode self, NodeTarget leader, boolean rebuild) {
        if (!rebuild && streamsFrom(self, leader)) {
            run.step(Phases.STREAMING, local.name() + " already streams from " + leader.name());
            return;
        }
        stop(run, local, StopMode.FAST);
        boolean hasData = Files.isRegularFile(local.dataDirectory().resolve("PG_VERSION"));
        if (!rebuild && hasData) {
            try {
                PostgresNodeRepair.Outcome outcome = repair.rewind(local, leader, run.remaining(Duration.ofMinutes(5)));
                run.step(Phases.REWOUND, outcome.detail());
            } catch (EngineActionException e) {
                LOG.warnf("rewind of %s failed, rebuilding it instead: %s", local.name(), e.getMessage());
                rebuild = true;
            }
        } else if (!hasData) {
            rebuild = true;
        }
        if (rebuild) {
            repair.rebuild(local, leader, run.remaining(node.actionTimeout()));
            run.step(Phases.REBUILT, local.name() + (hasData ? " rebuilt" : " built") + " from a base backup of "
                    + leader.name());
        }
        start(run, local);
        long deadline = System.nanoTime() + node.streamingTimeout().toNanos();
        while (!streamsFrom(self, leader)) {
            if (System.nanoTime() > deadline) {
                throw new EngineActionException(local.name() + " was started but does not stream from "
                        + leader.name() + " within " + node.streamingTimeout().toSeconds() + " s; see its log "
                        + logFile());
            }
            sleep(200);
        }
        run.step(Phases.STREAMING, local.name() + " streams from " + leader.name());
    }

    /** Whether the local node is a follower whose WAL receiver streams from {@code leader}. */
    private boolean streamsFrom(TopologyNode self, NodeTarget leader) {
        NodeObserved observed = probe().probe(target(self, leader.clusterId()), Duration.ofSeconds(2));
        return observed.reachable() && observed.role() == NodeRole.FOLLOWER && observed.walReceiver() != null
                && "streaming".equals(observed.walReceiver().status())
                && Integer.valueOf(leader.port()).equals(observed.walReceiver().senderPort())
                && sameHost(leader.host(), observed.walReceiver().senderHost());
    }

    private static boolean sameHost(String expected, String sender) {
        return expected.equalsIgnoreCase(sender) || (isLoopback(expected) && isLoopback(sender));
    }

    private static boolean isLoopback(String host) {
        return host != null && (host.equals("localhost") || host.startsWith("127."));
    }

    private NodeTarget leaderOf(TopologyChanged topology) {
        TopologyNode leader = topology.leaderNode().orElseThrow(() -> new NodeActionRefused(409, "No leader",
                "cluster " + topology.clusterId() + " has no leader at epoch " + topology.epoch() + " to follow"));
        return target(leader, topology.clusterId());
    }

    private NodeTarget target(TopologyNode target, String clusterId) {
        io.regent.engines.ClusterLogins.Login login;
        try {
            login = topologies.loginFor(clusterId);
        } catch (IllegalStateException e) {
            throw new NodeActionRefused(500, "No credentials", e.getMessage());
        }
        MonitorConfig.NodeCredentials shared = config.credentials().get("default");
        return new NodeTarget(clusterId, target.name(), target.host(), target.port(),
                io.regent.events.Engine.POSTGRESQL, login.username(), login.password() == null ? "" : login.password(),
                shared == null ? "postgres" : shared.database());
    }

    private LocalNode local(TopologyNode self) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("port", Integer.toString(self.port()));
        settings.put("cluster_name", self.name());
        settings.putAll(node.settings());
        return new LocalNode(self.name(), node.dataDirectory().get(), node.binDirectory(), node.osUser(), settings,
                node.replicationUser(), node.replicationPassword().orElse(""));
    }

    private Path logFile() {
        Path data = node.dataDirectory().get();
        return node.logFile().orElse(data.resolveSibling(data.getFileName() + ".log"));
    }

    private PostgresAdapter probe() {
        if (probe == null) {
            synchronized (this) {
                if (probe == null) {
                    probe = new PostgresAdapter(new Observer(config.agentId() + "-node", config.zone()), false);
                }
            }
        }
        return probe;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineActionException("interrupted", e);
        }
    }

    /** One action in progress: its deadline and the phases reached, each recorded on the operation too. */
    private final class Run {
        final NodeActionRequest request;
        final long deadline;
        final List<NodeActionResult.Step> steps = new ArrayList<>();

        Run(NodeActionRequest request, long deadline) {
            this.request = request;
            this.deadline = deadline;
        }

        Duration remaining(Duration cap) {
            long nanos = deadline - System.nanoTime();
            if (nanos <= 0) {
                throw new EngineActionException("the action's budget of " + node.actionTimeout().toSeconds()
                        + " s is spent");
            }
            return Duration.ofNanos(Math.min(nanos, cap.toNanos()));
        }

        void step(String name, String detail) {
            NodeActionResult.Step step = new NodeActionResult.Step(name, Instant.now(), detail);
            steps.add(step);
            if (request.operationId() != null) {
                try {
                    operations.appendPhase(request.operationId(), new OperationsApi.Phase(name, step.at(), detail));
                } catch (RuntimeException e) {
                    // the action goes on: its result carries the phases as well
                    LOG.warnf("could not record phase %s on operation %s: %s", name, request.operationId(),
                            e.getMessage());
                }
            }
        }
    }
}
