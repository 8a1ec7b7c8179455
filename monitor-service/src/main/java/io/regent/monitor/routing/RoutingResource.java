package io.regent.monitor.routing;

import io.regent.events.LagLimit;
import io.regent.events.TopologyChanged;
import io.regent.monitor.config.MonitorConfig;
import io.regent.monitor.lease.LeaderLeaseKeeper;
import io.regent.monitor.topology.WatchedNodes;
import io.smallrye.common.annotation.NonBlocking;
import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Routing checks for a load balancer's health checks ({@code option httpchk} in HAProxy, pointed at each server's
 * agent), answered by the node's own agent about its own node: unauthenticated, read-only, from memory, never
 * waiting for another service. Patroni's names where they fit: {@code /leader} = {@code /primary} =
 * {@code /read-write}; {@code /follower} = {@code /replica}; {@code /read-only} (leader or follower). Lag limits are
 * named by unit: {@code max-lag-bytes} (PostgreSQL), {@code max-lag-transactions} (MariaDB), {@code max-lag-seconds}.
 */
@Path("/")
@Produces(MediaType.TEXT_PLAIN)
@PermitAll
public class RoutingResource {

    private final MonitorConfig config;
    private final WatchedNodes topologies;
    private final LocalFacts facts;
    private final LeaderLeaseKeeper lease;

    public RoutingResource(MonitorConfig config, WatchedNodes topologies, LocalFacts facts, LeaderLeaseKeeper lease) {
        this.config = config;
        this.topologies = topologies;
        this.facts = facts;
        this.lease = lease;
    }

    @GET
    @NonBlocking
    @Path("{check: leader|primary|read-write}")
    public Response leader() {
        return answer(facts().map(RoutingRules::leader));
    }

    @GET
    @NonBlocking
    @Path("{check: follower|replica}")
    public Response follower(@QueryParam(LagLimit.BYTES) Long bytes,
            @QueryParam(LagLimit.TRANSACTIONS) Long transactions, @QueryParam(LagLimit.SECONDS) Long seconds) {
        return withLimit(bytes, transactions, seconds, RoutingRules::follower);
    }

    @GET
    @NonBlocking
    @Path("read-only")
    public Response readOnly(@QueryParam(LagLimit.BYTES) Long bytes,
            @QueryParam(LagLimit.TRANSACTIONS) Long transactions, @QueryParam(LagLimit.SECONDS) Long seconds) {
        return withLimit(bytes, transactions, seconds, RoutingRules::readOnly);
    }

    /** A check with a lag limit; a negative limit is the caller's mistake (400). */
    private Response withLimit(Long bytes, Long transactions, Long seconds,
            java.util.function.BiFunction<RoutingRules.Facts, LagLimit, RoutingRules.Answer> check) {
        LagLimit limit;
        try {
            limit = new LagLimit(bytes, transactions, seconds);
        } catch (IllegalArgumentException e) {
            return text(400, e.getMessage());
        }
        return answer(facts().map(f -> check.apply(f, limit)));
    }

    /** The facts of the agent's own node; empty when the agent runs beside no node. */
    private java.util.Optional<RoutingRules.Facts> facts() {
        MonitorConfig.Node node = config.node();
        if (node.clusterId().isEmpty() || node.name().isEmpty()) {
            return java.util.Optional.empty();
        }
        String self = node.name().get();
        TopologyChanged topology = topologies.topology(node.clusterId().get()).orElse(null);
        RoutingRules.Seen leader = topology == null ? null : facts.newest(topology.leader());
        return java.util.Optional.of(new RoutingRules.Facts(self, topology, facts.newest(self), leader,
                leaseOf(topology), settings()));
    }

    private RoutingRules.Lease leaseOf(TopologyChanged topology) {
        if (!lease.enabled()) {
            return RoutingRules.Lease.NONE;
        }
        LeaderLeaseKeeper.Standing standing = lease.standing();
        boolean sameEpoch = topology != null && standing.epoch() == topology.epoch();
        Long grantAge = sameEpoch && standing.grantSent() != null
                ? (System.nanoTime() - standing.grantSent()) / 1_000_000 : null;
        return new RoutingRules.Lease(true, sameEpoch && standing.refused(), grantAge);
    }

    private RoutingRules.Settings settings() {
        MonitorConfig.Routing routing = config.routing();
        MonitorConfig.Node node = config.node();
        return new RoutingRules.Settings(routing.maxObservationAge(), node.leaderLease().minus(node.leaseFenceAhead()),
                node.failsafeReplyWithin(), routing.maxStreamSilence(), routing.defaultMaxLagBytes(),
                routing.defaultMaxLagTransactions());
    }

    private static Response answer(java.util.Optional<RoutingRules.Answer> answer) {
        return answer.map(a -> text(a.status(), a.reason()))
                .orElseGet(() -> text(503, "this agent runs beside no node (regent.monitor.node.cluster-id and name "
                        + "are not set): ask the agent next to the node"));
    }

    private static Response text(int status, String reason) {
        return Response.status(status).entity(reason + "\n").type(MediaType.TEXT_PLAIN).build();
    }
}
