package io.regent.monitor.lease;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.regent.monitor.topology.RegistryApi;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.rest.client.annotation.RegisterClientHeaders;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/**
 * The registry's leader lease, renewed by the agent next to the leader with its service identity - with
 * timeouts far below the lease (config key {@code leader-lease}): an unanswered renewal must not hold the
 * keeper past the moment it has to fence.
 */
@RegisterRestClient(configKey = "leader-lease")
@RegisterClientHeaders(RegistryApi.ServiceIdentityHeaders.class)
@Path("/api/v1/clusters/{id}/leader-lease")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public interface LeaderLeaseApi {

    @PUT
    Lease renew(@PathParam("id") String clusterId, Renewal renewal);

    @DELETE
    void release(@PathParam("id") String clusterId, @QueryParam("holder") String holder);

    record Renewal(String node, long epoch, String holder, long leaseMillis) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Lease(String node, Long epoch, String holder, Long remainingMillis) {
    }
}
