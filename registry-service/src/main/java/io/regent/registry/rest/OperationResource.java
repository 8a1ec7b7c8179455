package io.regent.registry.rest;

import io.regent.events.OperationUpdated;
import io.regent.registry.service.OperationService;
import io.regent.registry.service.Snapshots;
import io.regent.registry.rest.dto.ClaimRequest;
import io.regent.registry.rest.dto.FinishRequest;
import io.regent.registry.rest.dto.GuardRequest;
import io.regent.registry.rest.dto.OwnershipResponse;
import io.regent.registry.rest.dto.PhaseRequest;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/operations")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Operations", description = "Failovers, switchovers and rejoins with their phases")
public class OperationResource {

    private final OperationService operations;

    public OperationResource(OperationService operations) {
        this.operations = operations;
    }

    @GET
    @Path("/{operationId}")
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN, Roles.SERVICE})
    public OperationUpdated get(@PathParam("operationId") UUID operationId) {
        return Snapshots.operation(operations.get(operationId));
    }

    @POST
    @Path("/{operationId}/phases")
    @RolesAllowed(Roles.SERVICE)
    @Operation(summary = "Append a phase reached by the operation")
    public OperationUpdated appendPhase(@PathParam("operationId") UUID operationId,
            @Valid @NotNull PhaseRequest request) {
        return Snapshots.operation(operations.appendPhase(operationId, request));
    }

    @POST
    @Path("/{operationId}/claim")
    @RolesAllowed(Roles.SERVICE)
    @Operation(summary = "Take the operation over with a new fencing token (409 while another holder's lease runs)")
    public OwnershipResponse claim(@PathParam("operationId") UUID operationId, @Valid @NotNull ClaimRequest request) {
        return ownership(operations.claim(operationId, request));
    }

    @POST
    @Path("/{operationId}/guard")
    @RolesAllowed(Roles.SERVICE)
    @Operation(summary = "Check, right before an irreversible step, that the caller still holds the operation and "
            + "the epoch has not moved; renews the lease (409 with a code when not)")
    public OwnershipResponse guard(@PathParam("operationId") UUID operationId, @Valid @NotNull GuardRequest request) {
        return ownership(operations.guard(operationId, request));
    }

    private static OwnershipResponse ownership(OperationService.Ownership held) {
        return new OwnershipResponse(Snapshots.operation(held.operation()), held.operation().owner,
                held.operation().ownerToken, held.leaseMillis(), held.operation().leaseExpiresAt, held.epoch(),
                held.leader());
    }

    @POST
    @Path("/{operationId}/finish")
    @RolesAllowed(Roles.SERVICE)
    @Operation(summary = "Finish the operation: SUCCEEDED, FAILED or CANCELLED")
    public OperationUpdated finish(@PathParam("operationId") UUID operationId, @Valid @NotNull FinishRequest request) {
        return Snapshots.operation(operations.finish(operationId, request));
    }
}
