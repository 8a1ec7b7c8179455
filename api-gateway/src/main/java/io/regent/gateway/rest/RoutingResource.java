package io.regent.gateway.rest;

import io.regent.events.Engine;
import io.regent.events.LagLimit;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.events.WalReceiverState;
import io.regent.gateway.config.GatewayConfig;
import io.regent.gateway.health.NodeHealthView;
import io.regent.gateway.topology.TopologyView;
import jakarta.annotation.security.PermitAll;
import io.smallrye.common.annotation.NonBlocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.Optional;

/**
 * Health checks for load balancers ({@code option httpchk} in HAProxy): unauthenticated, read-only,
 * answered from memory. 200 means "send traffic of this kind to this node", 503 means "do not"; the
 * body says why, for a person reading the load balancer's log. Only the registry's current leader
 * that an agent has seen writable in the last few seconds passes the leader check, so a fenced or
 * demoted node drops out at once.
 */
@Path("/route/{cluster}/{node}")
@Produces(MediaType.TEXT_PLAIN)
@PermitAll
public class RoutingResource {

    private final TopologyView topologies;
    private final NodeHealthView health;
    private final GatewayConfig config;

    public RoutingResource(TopologyView topologies, NodeHealthView health, GatewayConfig config) {
        this.topologies = topologies;
        this.health = health;
        this.config = config;
    }

    @GET
    @NonBlocking // answered from memory: no worker-thread hop
    @Path("/leader")
    public Response leader(@PathParam("cluster") String cluster, @PathParam("node") String node) {
        Optional<TopologyChanged> topology = topologies.topology(cluster);
        if (topology.isEmpty()) {
            return no("unknown cluster " + cluster);
        }
        if (!node.equals(topology.get().leader())) {
            return no(node + " is not the leader of " + cluster + " (the leader is " + topology.get().leader()
                    + " at epoch " + topology.get().epoch() + ")");
        }
        Optional<NodeObserved> seen = health.fresh(cluster, node, Instant.now());
        if (seen.isEmpty() || !seen.get().reachable()) {
            return no(node + " is the leader but no agent has reached it in the last "
                    + config.routing().maxObservationAge().toSeconds() + " s");
        }
        if (seen.get().role() != NodeRole.LEADER || Boolean.TRUE.equals(seen.get().readOnly())) {
            return no(node + " is the registered leader but does not accept writes (read-only or in recovery)");
        }
        return Response.ok("leader " + node + " of " + cluster + " at epoch " + topology.get().epoch() + "\n").build();
    }

    @GET
    @NonBlocking // answered from memory: no worker-thread hop
    @Path("/follower")
    public Response follower(@PathParam("cluster") String cluster, @PathParam("node") String node,
            @QueryParam(LagLimit.BYTES) Long maxLagBytes, @QueryParam(LagLimit.TRANSACTIONS) Long maxLagTransactions,
            @QueryParam(LagLimit.SECONDS) Long maxLagSeconds) {
        LagLimit asked;
        try {
            asked = new LagLimit(maxLagBytes, maxLagTransactions, maxLagSeconds);
        } catch (IllegalArgumentException e) {
            return Response.status(400).entity(e.getMessage() + "\n").build();
        }
        Optional<TopologyChanged> topology = topologies.topology(cluster);
        if (topology.isEmpty()) {
            return no("unknown cluster " + cluster);
        }
        Engine engine = topology.get().engine();
        Optional<String> mismatch = asked.mismatch(engine);
        if (mismatch.isPresent()) {
            return Response.status(400).entity(mismatch.get() + "\n").build();
        }
        LagLimit limit = asked.orDefault(engine, config.routing().defaultMaxLagBytes(),
                config.routing().defaultMaxLagTransactions());
        if (node.equals(topology.get().leader())) {
            return no(node + " is the leader of " + cluster);
        }
        if (topology.get().nodes().stream().noneMatch(n -> n.name().equals(node) && n.role() == NodeRole.FOLLOWER)) {
            return no(node + " is not a follower of " + cluster + " in the registry");
        }
        Instant now = Instant.now();
        Optional<NodeObserved> seen = health.fresh(cluster, node, now);
        if (seen.isEmpty() || !seen.get().reachable()) {
            return no(node + ": no agent has reached it in the last " + config.routing().maxObservationAge().toSeconds()
                    + " s");
        }
        NodeObserved follower = seen.get();
        if (follower.role() != NodeRole.FOLLOWER || follower.walReceiver() == null
                || !"streaming".equals(follower.walReceiver().status())) {
            return no(node + " is not streaming from a leader");
        }
        String upstream = notFromTheLeader(cluster, topology.get(), follower.walReceiver(), now);
        if (upstream != null) {
            return no(node + " " + upstream);
        }
        long lag = lag(cluster, topology.get().leader(), follower, now);
        Optional<String> exceeded = limit.exceededBy(engine, lag, follower.lagMillis());
        if (exceeded.isPresent()) {
            return no(node + " " + exceeded.get());
        }
        return Response.ok("follower " + node + " of " + cluster + ", " + lag + " " + LagLimit.unit(engine)
                + " behind\n").build();
    }

    /**
     * Why a follower's stream does not come from the current leader (another address: not re-pointed after
     * a failover; another timeline), or null when it does or the observations do not tell. Reading from a
     * follower of an older leader would serve data the current leader has moved past.
     */
    private String notFromTheLeader(String cluster, TopologyChanged topology, WalReceiverState receiver, Instant now) {
        Optional<TopologyNode> leader = topology.nodes().stream().filter(n -> n.name().equals(topology.leader()))
                .findFirst();
        if (leader.isEmpty() || receiver.senderHost() == null || receiver.senderPort() == null) {
            return null;
        }
        if (!receiver.senderHost().equalsIgnoreCase(leader.get().host()) || receiver.senderPort() != leader.get().port()) {
            return "replicates from " + receiver.senderHost() + ":" + receiver.senderPort() + ", not from leader "
                    + topology.leader() + " (" + leader.get().host() + ":" + leader.get().port() + ")";
        }
        Optional<NodeObserved> leaderSeen = health.fresh(cluster, topology.leader(), now);
        Long timeline = leaderSeen.map(NodeObserved::timeline).orElse(null);
        if (timeline != null && receiver.receivedTimeline() != null && !timeline.equals(receiver.receivedTimeline())) {
            return "receives timeline " + receiver.receivedTimeline() + " but leader " + topology.leader()
                    + " is on timeline " + timeline;
        }
        return null;
    }

    /**
     * Behind the leader's newest position when an agent saw it recently, else what the follower has yet to replay; in
     * the engine's unit (bytes, MariaDB transactions).
     */
    private long lag(String cluster, String leader, NodeObserved follower, Instant now) {
        Long replayed = follower.replayedLsn();
        Optional<NodeObserved> leaderSeen = leader == null ? Optional.empty() : health.fresh(cluster, leader, now);
        if (replayed != null && leaderSeen.isPresent() && leaderSeen.get().currentLsn() != null) {
            return Math.max(0, leaderSeen.get().currentLsn() - replayed);
        }
        return follower.lagBytes() == null ? 0 : follower.lagBytes();
    }

    private static Response no(String reason) {
        return Response.status(503).entity(reason + "\n").build();
    }
}
