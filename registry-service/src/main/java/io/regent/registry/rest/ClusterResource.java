package io.regent.registry.rest;

import io.quarkus.security.identity.SecurityIdentity;
import io.regent.events.OperationUpdated;
import io.regent.events.TopologyChanged;
import io.regent.registry.crypto.CredentialsCipher;
import io.regent.registry.domain.ClusterEntity;
import io.regent.registry.rest.dto.ClusterRequest;
import io.regent.registry.rest.dto.ClusterResponse;
import io.regent.registry.rest.dto.ClusterUpdateRequest;
import io.regent.registry.rest.dto.LeaderLeaseRequest;
import io.regent.registry.rest.dto.LeaderLeaseResponse;
import io.regent.registry.rest.dto.MaintenanceRequest;
import io.regent.registry.rest.dto.NodeRequest;
import io.regent.registry.rest.dto.NodeResponse;
import io.regent.registry.rest.dto.OperationRequest;
import io.regent.registry.rest.dto.PageResponse;
import io.regent.registry.rest.dto.StoredCredentials;
import io.regent.registry.rest.dto.TopologyUpdateRequest;
import io.regent.registry.service.ClusterService;
import io.regent.registry.service.LeaderLeaseService;
import io.regent.registry.service.OperationService;
import io.regent.registry.service.ProblemException;
import io.regent.registry.service.Snapshots;
import io.regent.registry.service.TopologyWrites;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
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
import java.util.List;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/clusters")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Clusters", description = "Clusters, their nodes, topology and operations")
public class ClusterResource {

    private static final org.jboss.logging.Logger AUDIT = org.jboss.logging.Logger.getLogger("regent.audit");

    private final ClusterService clusters;
    private final TopologyWrites topologyWrites;
    private final OperationService operations;
    private final SecurityIdentity identity;
    private final LeaderLeaseService leases;

    public ClusterResource(ClusterService clusters, TopologyWrites topologyWrites, OperationService operations,
            SecurityIdentity identity, LeaderLeaseService leases) {
        this.leases = leases;
        this.clusters = clusters;
        this.topologyWrites = topologyWrites;
        this.operations = operations;
        this.identity = identity;
    }

    @GET
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN, Roles.SERVICE})
    @Operation(summary = "List clusters, by id, one page at a time")
    public PageResponse<ClusterResponse> list(@QueryParam("page") @DefaultValue("0") @Min(0) int page,
            @QueryParam("size") @DefaultValue("20") @Min(1) @Max(100) int size) {
        List<ClusterEntity> items = clusters.page(page, size);
        Set<String> withCredentials = clusters.withStoredCredentials(items.stream().map(c -> c.id).toList());
        return new PageResponse<>(items.stream().map(c -> ApiMapper.cluster(c, withCredentials.contains(c.id)))
                .toList(), page, size, clusters.count());
    }

    @POST
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Register a cluster with its nodes")
    public Response create(@Valid @NotNull ClusterRequest request) {
        ClusterEntity cluster = clusters.create(request);
        return Response.created(URI.create("/api/v1/clusters/" + cluster.id)).entity(response(cluster)).build();
    }

    @GET
    @Path("/{id}")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN, Roles.SERVICE})
    public ClusterResponse get(@PathParam("id") String id) {
        return response(clusters.get(id));
    }

    /**
     * The cluster's stored database login, decrypted, for the failover-service and the agents, which act on its
     * nodes with it; no person gets it, whatever their role. Never cached on the way ({@code no-store}); each
     * read is logged, without the secret.
     */
    @GET
    @Path("/{id}/credentials")
    @RolesAllowed(Roles.SERVICE)
    @Operation(summary = "A cluster's database login, for Regent's services only")
    public Response credentials(@PathParam("id") String id) {
        CredentialsCipher.Plain plain = clusters.credentials(id);
        AUDIT.infof("who=%s what=read-credentials cluster=%s", identity.getPrincipal().getName(), id);
        return Response.ok(new StoredCredentials(id, plain.username(), plain.password()))
                .header("Cache-Control", "no-store").build();
    }

    @PUT
    @Path("/{id}")
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Change a cluster's settings")
    public ClusterResponse update(@PathParam("id") String id, @Valid @NotNull ClusterUpdateRequest request) {
        clusters.update(id, request);
        return response(clusters.get(id));
    }

    @DELETE
    @Path("/{id}")
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Remove a cluster (only while in maintenance)")
    public Response delete(@PathParam("id") String id) {
        clusters.delete(id);
        topologyWrites.forget(id);
        return Response.noContent().build();
    }

    @GET
    @Path("/{id}/nodes")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN, Roles.SERVICE})
    public List<NodeResponse> nodes(@PathParam("id") String id) {
        return clusters.get(id).nodes.stream().map(ApiMapper::node).toList();
    }

    @POST
    @Path("/{id}/nodes")
    @RolesAllowed(Roles.ADMIN)
    @Operation(summary = "Add a node (as a follower)")
    public Response addNode(@PathParam("id") String id, @Valid @NotNull NodeRequest request) {
        NodeResponse node = ApiMapper.node(clusters.addNode(id, request));
        return Response.created(URI.create("/api/v1/clusters/" + id + "/nodes/" + node.name())).entity(node).build();
    }

    @GET
    @Path("/{id}/nodes/{name}")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN, Roles.SERVICE})
    public NodeResponse node(@PathParam("id") String id, @PathParam("name") String name) {
        return clusters.get(id).node(name).map(ApiMapper::node)
                .orElseThrow(() -> ProblemException.notFound("Node", name));
    }

    @PUT
    @Path("/{id}/nodes/{name}")
    @RolesAllowed(Roles.ADMIN)
    public NodeResponse updateNode(@PathParam("id") String id, @PathParam("name") String name,
            @Valid @NotNull NodeRequest request) {
        return ApiMapper.node(clusters.updateNode(id, name, request));
    }

    @DELETE
    @Path("/{id}/nodes/{name}")
    @RolesAllowed(Roles.ADMIN)
    public Response deleteNode(@PathParam("id") String id, @PathParam("name") String name) {
        clusters.deleteNode(id, name);
        return Response.noContent().build();
    }

    @GET
    @Path("/{id}/topology")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN, Roles.SERVICE})
    @Operation(summary = "The cluster's topology: epoch, revision, leader, nodes with roles and endpoints; "
            + "consistent=true reads the database instead of memory (for decisions that may fence or promote)")
    public TopologyChanged topology(@PathParam("id") String id,
            @QueryParam("consistent") @DefaultValue("false") boolean consistent) {
        return consistent ? clusters.consistentTopology(id) : clusters.topology(id);
    }

    @PUT
    @Path("/{id}/topology")
    @RolesAllowed(Roles.SERVICE)
    @Operation(summary = "Compare-and-set the topology: 409 with currentEpoch when expectedEpoch is stale")
    public TopologyChanged compareAndSet(@PathParam("id") String id, @Valid @NotNull TopologyUpdateRequest request) {
        return topologyWrites.compareAndSet(id, request);
    }

    @PUT
    @Path("/{id}/leader-lease")
    @RolesAllowed(Roles.SERVICE)
    @Operation(summary = "Renew the leader's lease (the leader's node agent): 409 not-leader or failover-running "
            + "when it is not granted, and the agent fences its server")
    public LeaderLeaseResponse renewLeaderLease(@PathParam("id") String id,
            @Valid @NotNull LeaderLeaseRequest request) {
        return leases.renew(id, request);
    }

    @GET
    @Path("/{id}/leader-lease")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN, Roles.SERVICE})
    @Operation(summary = "The leader's lease and how long it still runs, on the registry database's clock")
    public LeaderLeaseResponse leaderLease(@PathParam("id") String id) {
        return leases.get(id);
    }

    @DELETE
    @Path("/{id}/leader-lease")
    @RolesAllowed(Roles.SERVICE)
    @Operation(summary = "Give the leader's lease up (its holder saw its server gone): 204, or 404 when the "
            + "holder does not hold it")
    public Response releaseLeaderLease(@PathParam("id") String id, @QueryParam("holder") @NotNull String holder) {
        if (!leases.release(id, holder)) {
            throw ProblemException.notFound("Leader lease of holder", holder);
        }
        return Response.noContent().build();
    }

    @PUT
    @Path("/{id}/maintenance")
    @RolesAllowed({Roles.OPERATOR, Roles.ADMIN, Roles.SERVICE}) // the service applies MaintenanceChanged commands
    @Operation(summary = "Switch maintenance on or off: no automatic action while on")
    public ClusterResponse maintenance(@PathParam("id") String id, @Valid @NotNull MaintenanceRequest request) {
        return response(clusters.setMaintenance(id, request.enabled(), request.reason(),
                identity.getPrincipal().getName()));
    }

    @GET
    @Path("/{id}/operations")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN, Roles.SERVICE})
    @Operation(summary = "The cluster's operations, newest first")
    public PageResponse<OperationUpdated> operations(@PathParam("id") String id,
            @QueryParam("page") @DefaultValue("0") @Min(0) int page,
            @QueryParam("size") @DefaultValue("20") @Min(1) @Max(100) int size) {
        return new PageResponse<>(operations.page(id, page, size).stream().map(Snapshots::operation).toList(), page,
                size, operations.count(id));
    }

    @POST
    @Path("/{id}/operations")
    @RolesAllowed(Roles.SERVICE)
    @Operation(summary = "Record an operation's intent before acting")
    public Response createOperation(@PathParam("id") String id, @Valid @NotNull OperationRequest request) {
        OperationUpdated op = Snapshots.operation(operations.create(id, request, identity.getPrincipal().getName()));
        return Response.created(URI.create("/api/v1/operations/" + op.operationId())).entity(op).build();
    }

    private ClusterResponse response(ClusterEntity cluster) {
        return ApiMapper.cluster(cluster, !clusters.withStoredCredentials(List.of(cluster.id)).isEmpty());
    }
}
