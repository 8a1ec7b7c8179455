package io.regent.failover.registry;

import io.regent.events.OperationUpdated;
import io.regent.events.TopologyChanged;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.UUID;
import org.eclipse.microprofile.rest.client.annotation.RegisterClientHeaders;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** The registry's REST API as this service uses it, with its service identity. */
@RegisterRestClient(configKey = "registry")
@RegisterClientHeaders(ServiceIdentityHeaders.class)
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public interface RegistryApi {

    @GET
    @Path("/clusters/{id}")
    RegistryRequests.ClusterView cluster(@PathParam("id") String id);

    /** The topology as committed in the registry's database (never a replica's memory): what safety decisions read. */
    @GET
    @Path("/clusters/{id}/topology")
    TopologyChanged topology(@PathParam("id") String id, @QueryParam("consistent") boolean consistent);

    default TopologyChanged topology(String id) {
        return topology(id, true);
    }

    @PUT
    @Path("/clusters/{id}/topology")
    TopologyChanged compareAndSet(@PathParam("id") String id, RegistryRequests.TopologyUpdate update);

    @PUT
    @Path("/clusters/{id}/maintenance")
    RegistryRequests.ClusterView maintenance(@PathParam("id") String id, RegistryRequests.Maintenance maintenance);

    @GET
    @Path("/clusters/{id}/operations")
    RegistryRequests.OperationPage operations(@PathParam("id") String id, @QueryParam("page") int page,
            @QueryParam("size") int size);

    @POST
    @Path("/clusters/{id}/operations")
    OperationUpdated createOperation(@PathParam("id") String id, RegistryRequests.NewOperation operation);

    /** The cluster's own database login (404 when none is stored). */
    @GET
    @Path("/clusters/{id}/credentials")
    RegistryRequests.StoredLogin credentials(@PathParam("id") String id);

    @GET
    @Path("/clusters/{id}/leader-lease")
    RegistryRequests.LeaderLease leaderLease(@PathParam("id") String id);

    @GET
    @Path("/operations/{operationId}")
    OperationUpdated operation(@PathParam("operationId") UUID operationId);

    @POST
    @Path("/operations/{operationId}/phases")
    OperationUpdated appendPhase(@PathParam("operationId") UUID operationId, RegistryRequests.Phase phase);

    @POST
    @Path("/operations/{operationId}/claim")
    RegistryRequests.Ownership claim(@PathParam("operationId") UUID operationId, RegistryRequests.Claim claim);

    @POST
    @Path("/operations/{operationId}/guard")
    RegistryRequests.Ownership guard(@PathParam("operationId") UUID operationId, RegistryRequests.Guard guard);

    @POST
    @Path("/operations/{operationId}/finish")
    OperationUpdated finish(@PathParam("operationId") UUID operationId, RegistryRequests.Finish finish);
}
