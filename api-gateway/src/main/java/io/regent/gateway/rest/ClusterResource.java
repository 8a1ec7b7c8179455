package io.regent.gateway.rest;

import io.regent.events.LagLimit;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.security.identity.SecurityIdentity;
import io.regent.events.FailoverRequested;
import io.regent.events.MaintenanceChanged;
import io.regent.events.RegentEvent;
import io.regent.events.RejoinRequested;
import io.regent.events.SwitchoverRequested;
import io.regent.events.TopologyChanged;
import io.regent.gateway.command.CommandPublisher;
import io.regent.gateway.health.NodeHealthView;
import io.regent.gateway.registry.RegistryProxy;
import io.regent.gateway.topology.TopologyView;
import io.smallrye.common.annotation.NonBlocking;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Clusters as the public API shows them. Topology reads come from the topology view (the compacted
 * topic), never from a registry call per request. Operator commands go to {@code regent.commands.v1};
 * the answer is 202 with the operation's id (the command's request id), which the operation keeps.
 * Inventory (clusters, nodes) and operation history are the registry's: forwarded with the caller's
 * token, so the registry's rules and validation apply to the person asking.
 */
@Path("/api/v1/clusters")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ClusterResource {

    private static final Logger AUDIT = Logger.getLogger("regent.audit");
    static final String SLUG = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$";
    static final String SLUG_MESSAGE = "must be a cluster id (a lower-case slug)";
    private static final String NAME = SLUG; // node names are slugs too
    private static final String NAME_MESSAGE = "must be a node name (a lower-case slug)";

    private final TopologyView topologies;
    private final CommandPublisher commands;
    private final SecurityIdentity identity;
    private final RegistryProxy registry;
    private final NodeHealthView health;

    public ClusterResource(TopologyView topologies, CommandPublisher commands, SecurityIdentity identity,
            RegistryProxy registry, NodeHealthView health) {
        this.health = health;
        this.topologies = topologies;
        this.commands = commands;
        this.identity = identity;
        this.registry = registry;
    }

    public record SwitchoverRequest(@Size(max = 63) String candidate, @PositiveOrZero Long expectedEpoch,
            @Size(max = 2000) String reason) {
    }

    public record FailoverRequest(@Size(max = 63) String candidate, @PositiveOrZero Long expectedEpoch,
            @Size(max = 2000) String reason) {
    }

    public record RejoinRequest(@PositiveOrZero Long expectedEpoch, @Size(max = 2000) String reason) {
    }

    public record MaintenanceRequest(@NotNull Boolean enabled, @Size(max = 2000) String reason, Instant until) {
    }

    /** What a command request returns: where to follow the operation it starts. */
    public record Accepted(UUID operationId, String clusterId, String command, URI operation) {
    }

    @GET
    @NonBlocking // answered from memory: no worker-thread hop
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public List<TopologyChanged> list() {
        return topologies.all();
    }

    @GET
    @NonBlocking
    @Path("/{id}/topology")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public TopologyChanged topology(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id) {
        return require(id);
    }

    /** What each monitor agent last reported about each node (since this gateway started), by node then agent. */
    @GET
    @NonBlocking
    @Path("/{id}/observations")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public List<NodeHealthView.HealthSummary> observations(
            @PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id) {
        require(id);
        return health.byAgent(id);
    }

    /**
     * Each follower's replication lag over the last 10 minutes, in the engine's unit (since this gateway started):
     * what the dashboard's chart shows after a reload.
     */
    @GET
    @NonBlocking
    @Path("/{id}/lag-history")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public NodeHealthView.LagHistoryView lagHistory(
            @PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id) {
        return health.lagHistory(id, LagLimit.unit(require(id).engine()));
    }

    @POST
    @RolesAllowed(Roles.ADMIN)
    public Response create(JsonNode cluster) {
        return registry.change("create-cluster", String.valueOf(field(cluster, "id")),
                bearer -> registry.api().createCluster(bearer, body(cluster)));
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public Response cluster(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id) {
        return registry.read(bearer -> registry.api().cluster(bearer, id));
    }

    @PUT
    @Path("/{id}")
    @RolesAllowed(Roles.ADMIN)
    public Response update(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id,
            JsonNode cluster) {
        return registry.change("update-cluster", id, bearer -> registry.api().updateCluster(bearer, id, body(cluster)));
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed(Roles.ADMIN)
    public Response delete(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id) {
        return registry.change("delete-cluster", id, bearer -> registry.api().deleteCluster(bearer, id));
    }

    @GET
    @Path("/{id}/nodes")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public Response nodes(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id) {
        return registry.read(bearer -> registry.api().nodes(bearer, id));
    }

    @POST
    @Path("/{id}/nodes")
    @RolesAllowed(Roles.ADMIN)
    public Response addNode(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id,
            JsonNode node) {
        return registry.change("add-node", id + "/" + field(node, "name"),
                bearer -> registry.api().addNode(bearer, id, body(node)));
    }

    @GET
    @Path("/{id}/nodes/{name}")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public Response node(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id,
            @PathParam("name") @Pattern(regexp = NAME, message = NAME_MESSAGE) String name) {
        return registry.read(bearer -> registry.api().node(bearer, id, name));
    }

    @PUT
    @Path("/{id}/nodes/{name}")
    @RolesAllowed(Roles.ADMIN)
    public Response updateNode(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id,
            @PathParam("name") @Pattern(regexp = NAME, message = NAME_MESSAGE) String name, JsonNode node) {
        return registry.change("update-node", id + "/" + name,
                bearer -> registry.api().updateNode(bearer, id, name, body(node)));
    }

    @DELETE
    @Path("/{id}/nodes/{name}")
    @RolesAllowed(Roles.ADMIN)
    public Response deleteNode(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id,
            @PathParam("name") @Pattern(regexp = NAME, message = NAME_MESSAGE) String name) {
        return registry.change("delete-node", id + "/" + name, bearer -> registry.api().deleteNode(bearer, id, name));
    }

    /** The cluster's operations, newest first, with their phases. */
    @GET
    @Path("/{id}/operations")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public Response operations(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id,
            @QueryParam("page") @Min(0) Integer page, @QueryParam("size") @Min(1) @Max(200) Integer size) {
        return registry.read(bearer -> registry.api().operations(bearer, id, page, size));
    }

    @POST
    @Path("/{id}/switchover")
    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    public Response switchover(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id, @Valid SwitchoverRequest request) {
        SwitchoverRequest body = request == null ? new SwitchoverRequest(null, null, null) : request;
        TopologyChanged topology = require(id);
        long epoch = expectedEpoch(topology, body.expectedEpoch());
        requireNode(topology, body.candidate());
        if (topology.leader() == null) {
            throw new ProblemException(409, "No leader", "cluster '" + id + "' has no leader to hand over from; "
                    + "request a failover naming a candidate instead");
        }
        UUID requestId = UUID.randomUUID();
        return accept(id, "switchover", requestId, new SwitchoverRequested(requestId, id, topology.leader(),
                body.candidate(), epoch, who(), Instant.now(), body.reason()));
    }

    @POST
    @Path("/{id}/failover")
    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    public Response failover(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id, @Valid FailoverRequest request) {
        FailoverRequest body = request == null ? new FailoverRequest(null, null, null) : request;
        TopologyChanged topology = require(id);
        long epoch = expectedEpoch(topology, body.expectedEpoch());
        requireNode(topology, body.candidate());
        UUID requestId = UUID.randomUUID();
        return accept(id, "failover", requestId, new FailoverRequested(requestId, id, body.candidate(), epoch, who(),
                Instant.now(), body.reason()));
    }

    /** Rewind {@code name} into a streaming follower of the leader (a base backup when a rewind is impossible). */
    @POST
    @Path("/{id}/nodes/{name}/rejoin")
    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    public Response rejoin(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id,
            @PathParam("name") @Pattern(regexp = NAME, message = NAME_MESSAGE) String name,
            @Valid RejoinRequest request) {
        return repair(id, name, false, request);
    }

    /** Copy {@code name} afresh from the leader (a base backup) and make it a streaming follower. */
    @POST
    @Path("/{id}/nodes/{name}/rebuild")
    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    public Response rebuild(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id,
            @PathParam("name") @Pattern(regexp = NAME, message = NAME_MESSAGE) String name,
            @Valid RejoinRequest request) {
        return repair(id, name, true, request);
    }

    private Response repair(String id, String name, boolean rebuild, RejoinRequest request) {
        RejoinRequest body = request == null ? new RejoinRequest(null, null) : request;
        TopologyChanged topology = require(id);
        long epoch = expectedEpoch(topology, body.expectedEpoch());
        String what = rebuild ? "rebuild" : "rejoin";
        if (topology.nodes().stream().noneMatch(n -> n.name().equals(name))) {
            throw new ProblemException(404, "Node not found", "'" + name + "' is not a node of cluster '" + id
                    + "'; nodes are " + topology.nodes().stream().map(n -> n.name()).toList());
        }
        if (name.equals(topology.leader())) {
            throw new ProblemException(409, "Node is the leader", "'" + name + "' leads cluster '" + id + "' at epoch "
                    + topology.epoch() + "; only a follower or a replaced leader can be " + (rebuild ? "rebuilt"
                    : "rejoined") + ". Switch over first if it must be");
        }
        UUID requestId = UUID.randomUUID();
        return accept(id, name, what, requestId, new RejoinRequested(requestId, id, name, rebuild, epoch, who(),
                Instant.now(), body.reason()));
    }

    @PUT
    @Path("/{id}/maintenance")
    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN})
    public Response maintenance(@PathParam("id") @Pattern(regexp = SLUG, message = SLUG_MESSAGE) String id, @Valid @NotNull MaintenanceRequest request) {
        require(id);
        if (request.until() != null && (!request.enabled() || !request.until().isAfter(Instant.now()))) {
            throw new ProblemException(422, "Invalid maintenance window", "'until' must be in the future and only "
                    + "goes with enabled=true");
        }
        UUID requestId = UUID.randomUUID();
        return accept(id, request.enabled() ? "maintenance-on" : "maintenance-off", requestId, new MaintenanceChanged(
                requestId, id, request.enabled(), who(), Instant.now(), request.reason(), request.until()));
    }

    private Response accept(String clusterId, String command, UUID requestId, RegentEvent event) {
        return accept(clusterId, null, command, requestId, event);
    }

    /** Publishes the signed command and audits it; {@code node} names the node it acts on, when it is one. */
    private Response accept(String clusterId, String node, String command, UUID requestId, RegentEvent event) {
        String target = node == null ? "cluster=" + clusterId : "cluster=" + clusterId + " node=" + node;
        try {
            commands.publish(clusterId, event, who(), identity.hasRole(Roles.ADMIN) ? Roles.ADMIN : Roles.OPERATOR);
        } catch (ProblemException e) {
            AUDIT.infof("who=%s what=%s %s request=%s outcome=failed (%s)", who(), command, target, requestId,
                    e.getMessage());
            throw e;
        }
        AUDIT.infof("who=%s what=%s %s request=%s outcome=accepted", who(), command, target, requestId);
        URI operation = URI.create("/api/v1/operations/" + requestId);
        return Response.accepted(new Accepted(requestId, clusterId, command, operation)).location(operation).build();
    }

    /** The registry validates the body; here only that there is one. */
    private static String body(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new ProblemException(400, "Invalid request", "Send a JSON object as the request body");
        }
        return json.toString();
    }

    private static String field(JsonNode json, String name) {
        return json != null && json.hasNonNull(name) ? json.get(name).asText() : "?";
    }

    private TopologyChanged require(String id) {
        return topologies.topology(id).orElseThrow(() -> ProblemException.notFound("Cluster", id));
    }

    private static long expectedEpoch(TopologyChanged topology, Long expected) {
        if (expected != null && expected != topology.epoch()) {
            throw new ProblemException(409, "Epoch mismatch", "cluster '" + topology.clusterId() + "' is at epoch "
                    + topology.epoch() + ", not " + expected + " (leader " + topology.leader() + "); re-read the "
                    + "topology and decide again");
        }
        return topology.epoch();
    }

    private static void requireNode(TopologyChanged topology, String candidate) {
        if (candidate != null && topology.nodes().stream().noneMatch(n -> n.name().equals(candidate))) {
            throw new ProblemException(422, "Unknown candidate", "'" + candidate + "' is not a node of cluster '"
                    + topology.clusterId() + "'; nodes are " + topology.nodes().stream().map(n -> n.name()).toList());
        }
    }

    private String who() {
        return identity.getPrincipal().getName();
    }
}
