package io.regent.monitor.node;

import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * Node actions, for the failover-service's service identity only ({@code regent-service}). The call
 * returns when the action has finished (a rejoin takes seconds, a rebuild as long as the copy).
 */
@Path("/agent/v1/node/actions")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public class NodeActionResource {

    private final LocalNodeAgent agent;

    public NodeActionResource(LocalNodeAgent agent) {
        this.agent = agent;
    }

    @POST
    @Blocking
    @RolesAllowed("regent-service")
    public NodeActionResult perform(@Valid @NotNull NodeActionRequest request) {
        return agent.perform(request);
    }
}
