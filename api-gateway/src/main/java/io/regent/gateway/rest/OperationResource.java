package io.regent.gateway.rest;

import io.regent.gateway.registry.RegistryProxy;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.constraints.Pattern;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** One operation with its phases, as the registry records it (the id a switchover or failover request returned). */
@Path("/api/v1/operations")
@Produces(MediaType.APPLICATION_JSON)
public class OperationResource {

    private static final String UUID = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

    private final RegistryProxy registry;

    public OperationResource(RegistryProxy registry) {
        this.registry = registry;
    }

    @GET
    @Path("/{operationId}")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public Response get(@PathParam("operationId") @Pattern(regexp = UUID, message = "must be an operation id (a UUID)")
            String operationId) {
        return registry.read(bearer -> registry.api().operation(bearer, operationId));
    }
}
