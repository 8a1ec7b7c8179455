package io.regent.gateway.registry;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/**
 * The registry's inventory and history endpoints, called with the caller's own access token so the
 * registry applies its rules to the person, not to the gateway. Bodies stay raw JSON: the registry
 * owns their schema and validation, and its problem+json answers pass through unchanged.
 */
@RegisterRestClient(configKey = "registry")
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public interface RegistryApi {

    String AUTHORIZATION = "Authorization";

    @POST
    @Path("/clusters")
    Response createCluster(@HeaderParam(AUTHORIZATION) String bearer, String body);

    @GET
    @Path("/clusters/{id}")
    Response cluster(@HeaderParam(AUTHORIZATION) String bearer, @PathParam("id") String id);

    @PUT
    @Path("/clusters/{id}")
    Response updateCluster(@HeaderParam(AUTHORIZATION) String bearer, @PathParam("id") String id, String body);

    @DELETE
    @Path("/clusters/{id}")
    Response deleteCluster(@HeaderParam(AUTHORIZATION) String bearer, @PathParam("id") String id);

    @GET
    @Path("/clusters/{id}/nodes")
    Response nodes(@HeaderParam(AUTHORIZATION) String bearer, @PathParam("id") String id);

    @POST
    @Path("/clusters/{id}/nodes")
    Response addNode(@HeaderParam(AUTHORIZATION) String bearer, @PathParam("id") String id, String body);

    @GET
    @Path("/clusters/{id}/nodes/{name}")
    Response node(@HeaderParam(AUTHORIZATION) String bearer, @PathParam("id") String id,
            @PathParam("name") String name);

    @PUT
    @Path("/clusters/{id}/nodes/{name}")
    Response updateNode(@HeaderParam(AUTHORIZATION) String bearer, @PathParam("id") String id,
            @PathParam("name") String name, String body);

    @DELETE
    @Path("/clusters/{id}/nodes/{name}")
    Response deleteNode(@HeaderParam(AUTHORIZATION) String bearer, @PathParam("id") String id,
            @PathParam("name") String name);

    @GET
    @Path("/clusters/{id}/operations")
    Response operations(@HeaderParam(AUTHORIZATION) String bearer, @PathParam("id") String id,
            @QueryParam("page") Integer page, @QueryParam("size") Integer size);

    @GET
    @Path("/operations/{operationId}")
    Response operation(@HeaderParam(AUTHORIZATION) String bearer, @PathParam("operationId") String operationId);
}
