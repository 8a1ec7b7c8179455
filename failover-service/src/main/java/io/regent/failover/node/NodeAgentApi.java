package io.regent.failover.node;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.UUID;

/** A node agent's action endpoint (monitor-service in node mode), as this service calls it. */
@Path("/agent/v1/node/actions")
@Consumes(MediaType.APPLICATION_JSON)
@Produces(MediaType.APPLICATION_JSON)
public interface NodeAgentApi {

    @POST
    void perform(@HeaderParam("Authorization") String authorization, Action action);

    /** {@code action}: STOP, START, REJOIN or REBUILD, for {@code node} of {@code clusterId} at {@code epoch}. */
    record Action(String action, String clusterId, String node, long epoch, UUID operationId) {
    }
}
