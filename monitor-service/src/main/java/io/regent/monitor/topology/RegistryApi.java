package io.regent.monitor.topology;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.regent.events.TopologyChanged;
import io.regent.monitor.identity.ServiceIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedHashMap;
import jakarta.ws.rs.core.MultivaluedMap;
import java.util.List;
import org.eclipse.microprofile.rest.client.annotation.RegisterClientHeaders;
import org.eclipse.microprofile.rest.client.ext.ClientHeadersFactory;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/** The part of the registry's REST API the agent reads, with its service identity. */
@RegisterRestClient(configKey = "registry")
@RegisterClientHeaders(RegistryApi.ServiceIdentityHeaders.class)
@Path("/api/v1/clusters")
@Produces(MediaType.APPLICATION_JSON)
public interface RegistryApi {

    @GET
    ClusterPage clusters(@QueryParam("page") int page, @QueryParam("size") int size);

    @GET
    @Path("/{id}/topology")
    TopologyChanged topology(@PathParam("id") String id);

    /** The cluster's own database login (404 when none is stored). */
    @GET
    @Path("/{id}/credentials")
    StoredLogin credentials(@PathParam("id") String id);

    /** {@link #toString()} masks the password. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record StoredLogin(String clusterId, String username, String password) {
        @Override
        public String toString() {
            return "StoredLogin[clusterId=" + clusterId + ", username=" + username + ", password=***]";
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record ClusterPage(List<ClusterId> items, long total) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record ClusterId(String id) {
    }

    /** Adds the agent's service identity to every registry call. */
    @ApplicationScoped
    class ServiceIdentityHeaders implements ClientHeadersFactory {

        private final ServiceIdentity identity;

        public ServiceIdentityHeaders(ServiceIdentity identity) {
            this.identity = identity;
        }

        @Override
        public MultivaluedMap<String, String> update(MultivaluedMap<String, String> incoming,
                MultivaluedMap<String, String> outgoing) {
            MultivaluedMap<String, String> headers = new MultivaluedHashMap<>();
            identity.authorization().ifPresent(value -> headers.add("Authorization", value));
            return headers;
        }
    }
}
