package io.regent.monitor.node;

import io.regent.monitor.topology.RegistryApi;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.UUID;
import org.eclipse.microprofile.rest.client.annotation.RegisterClientHeaders;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** The registry's operation phases, where a node action records its progress. */
@RegisterRestClient(configKey = "registry")
@RegisterClientHeaders(RegistryApi.ServiceIdentityHeaders.class)
@Path("/api/v1/operations")
@Consumes(MediaType.APPLICATION_JSON)
public interface OperationsApi {

    @POST
    @Path("/{operationId}/phases")
    void appendPhase(@PathParam("operationId") UUID operationId, Phase phase);

    record Phase(String name, Instant at, String detail) {
    }
}
