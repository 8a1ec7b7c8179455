package io.regent.failover.node;

import io.quarkus.rest.client.reactive.QuarkusRestClientBuilder;
import io.regent.failover.execution.OperationLogContext;
import io.regent.failover.execution.OperationMetrics;
import io.regent.engines.EngineAdapter;
import io.regent.events.NodeRole;
import io.regent.events.OperationKind;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import io.regent.events.Phases;
import io.regent.events.TopologyChanged;
import io.regent.failover.cluster.ClusterState;
import io.regent.failover.config.FailoverConfig;
import io.regent.failover.identity.ServiceIdentity;
import io.regent.failover.decision.Decision;
import io.regent.failover.execution.NodeTargets;
import io.regent.failover.registry.RegistryApi;
import io.regent.failover.registry.RegistryRequests;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * Heals a cluster back to full redundancy: a replaced leader is made a follower of the current
 * leader by the agent running next to it (rewind, or rebuild when a rewind is impossible) - or, for
 * engines that rejoin over SQL (MariaDB), from here after checking it for errant transactions - then the
 * registry records it as FOLLOWER - a role-only change, which keeps the leader epoch, so a failover or
 * switchover running beside it never loses its compare-and-set because of it. Recorded as a REJOIN
 * operation whose phases the agent adds. A failover meanwhile moves the epoch: the agent refuses a
 * stale action and the final compare-and-set fails, so the node simply waits for the next attempt
 * against the new leader.
 */
@ApplicationScoped
public class RejoinExecutor {

    private static final Logger LOG = Logger.getLogger(RejoinExecutor.class);

    private final RegistryApi registry;
    private final FailoverConfig config;
    private final ServiceIdentity identity;
    private final OperationMetrics operationMetrics;
    private final EngineAdapter engine;
    private final NodeTargets targets;
    private final Map<String, NodeAgentApi> agents = new ConcurrentHashMap<>();

    public RejoinExecutor(@RestClient RegistryApi registry, FailoverConfig config, ServiceIdentity identity,
            OperationMetrics operationMetrics, EngineAdapter engine, NodeTargets targets) {
        this.identity = identity;
        this.registry = registry;
        this.config = config;
        this.operationMetrics = operationMetrics;
        this.engine = engine;
        this.targets = targets;
    }

    /**
     * Records the operation ({@code operationId}: an operator's request id, so the id the API returned follows it)
     * and carries it out. A redelivered request whose operation already ended is not carried out again.
     */
    public void rejoin(ClusterState state, Decision.Rejoin decision, UUID operationId, String initiator) {
        TopologyChanged topology = state.topology();
        String leader = topology.leader();
        OperationUpdated op = registry.createOperation(state.clusterId(), new RegistryRequests.NewOperation(
                operationId, decision.kind(), decision.node(), leader, decision.epoch(), initiator,
                decision.reason()));
        if (op.status().isFinal()) {
            LOG.infof("cluster %s: %s %s already ended %s; not carried out again", state.clusterId(), op.kind(),
                    op.operationId(), op.status());
            return;
        }
        try (OperationLogContext context = OperationLogContext.operation(state.clusterId(), op.operationId(),
                op.kind(), decision.epoch())) {
            carryOut(state, decision, topology, op);
        }
    }

    private void carryOut(ClusterState state, Decision.Rejoin decision, TopologyChanged topology, OperationUpdated op) {
        String leader = topology.leader();
        LOG.infof("cluster %s: %s %s as a follower of %s at epoch %d (operation %s): %s", state.clusterId(),
                decision.kind(), decision.node(), leader, decision.epoch(), op.operationId(), decision.reason());
        long started = System.nanoTime();
        try {
            registry.appendPhase(op.operationId(), new RegistryRequests.Phase(Phases.DECIDED, Instant.now(),
                    decision.reason()));
            if (decision.agentEndpoint() == null) {
                // the engine rejoins over SQL, checked for errant transactions
                engine.rejoin(targets.target(topology, decision.node()), targets.target(topology, leader),
                        config.actionTimeout());
            } else {
                agent(decision.agentEndpoint()).perform(identity.authorization().orElse(null),
                        new NodeAgentApi.Action(agentAction(decision.kind()), state.clusterId(), decision.node(),
                                decision.epoch(), op.operationId()));
            }
            TopologyChanged announced = topology;
            if (topology.nodes().stream().anyMatch(n -> n.name().equals(decision.node())
                    && n.role() != NodeRole.FOLLOWER)) {
                announced = registry.compareAndSet(state.clusterId(), new RegistryRequests.TopologyUpdate(
                        decision.epoch(), leader, Map.of(decision.node(), NodeRole.FOLLOWER), decision.node()
                                + " rejoined as a follower of " + leader, op.operationId(), null));
                state.topology(announced);
            }
            registry.appendPhase(op.operationId(), new RegistryRequests.Phase(Phases.REJOINED, Instant.now(),
                    decision.node() + " streams from " + leader + " and is a failover candidate again"));
            OperationUpdated ended = registry.finish(op.operationId(), new RegistryRequests.Finish(
                    OperationStatus.SUCCEEDED, announced.epoch(), null));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            LOG.infof("cluster %s: %s rejoined as a follower of %s in %d ms, epoch %d", state.clusterId(),
                    decision.node(), leader, millis, announced.epoch());
            operationMetrics.ended(ended == null ? op : ended, OperationStatus.SUCCEEDED);
        } catch (RuntimeException e) {
            String error = describe(e);
            LOG.warnf("cluster %s: rejoin of %s failed, next attempt in %s: %s", state.clusterId(), decision.node(),
                    retryAfter(e), error);
            OperationUpdated ended = null;
            try {
                ended = registry.finish(op.operationId(), new RegistryRequests.Finish(OperationStatus.FAILED, null,
                        error));
            } catch (RuntimeException unrecorded) {
                LOG.warnf("cluster %s: could not record the failed rejoin %s: %s", state.clusterId(),
                        op.operationId(), unrecorded.getMessage());
            }
            operationMetrics.ended(ended == null ? op : ended, OperationStatus.FAILED);
            throw e;
        }
    }

    /** REBUILD replaces the data directory whatever it holds; everything else rewinds, or rebuilds when it must. */
    static String agentAction(OperationKind kind) {
        return kind == OperationKind.REBUILD ? "REBUILD" : "REJOIN";
    }

    private NodeAgentApi agent(String endpoint) {
        return agents.computeIfAbsent(endpoint, url -> QuarkusRestClientBuilder.newBuilder().baseUri(URI.create(url))
                .connectTimeout(2, TimeUnit.SECONDS)
                .readTimeout(config.rejoinTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .build(NodeAgentApi.class));
    }

    /** The agent's or registry's problem detail when there is one: what a person needs to act. */
    private static String describe(RuntimeException e) {
        if (e instanceof WebApplicationException web) {
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> problem = web.getResponse().readEntity(Map.class);
                Object detail = problem.get("detail");
                if (detail != null) {
                    return web.getResponse().getStatus() + " " + problem.getOrDefault("title", "") + ": " + detail;
                }
            } catch (RuntimeException unreadable) {
                // fall through to the exception's own message
            }
        }
        return e.getMessage();
    }

    /**
     * How long a failed rejoin blocks the next one of the cluster: {@code rejoin-retry-after}, or less when the
     * agent said when to ask again (Retry-After: it was busy with the same rejoin, sent by the instance that owned
     * the cluster before a rebalance - waiting the full 30 s for that left a healthy node out of the cluster).
     */
    public Duration retryAfter(RuntimeException failure) {
        return retryAfter(failure, config.rejoinRetryAfter());
    }

    static Duration retryAfter(RuntimeException failure, Duration longest) {
        if (failure instanceof WebApplicationException web) {
            String header = web.getResponse().getHeaderString("Retry-After");
            if (header != null && header.strip().matches("\\d{1,6}")) {
                Duration asked = Duration.ofSeconds(Long.parseLong(header.strip()));
                return asked.compareTo(longest) < 0 ? asked : longest;
            }
        }
        return longest;
    }
}
