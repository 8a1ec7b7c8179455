package io.regent.failover.rest;

import io.regent.failover.config.FailoverConfig;
import io.regent.failover.messaging.FailoverLoop;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/** Which clusters this instance decides for right now: for operators and for the crash-safety tests. */
@Path("/failover/v1/ownership")
public class OwnershipResource {

    public record Ownership(String instanceId, List<String> clusters) {
    }

    private final FailoverConfig config;
    private final FailoverLoop loop;

    public OwnershipResource(FailoverConfig config, FailoverLoop loop) {
        this.config = config;
        this.loop = loop;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Ownership ownership() {
        return new Ownership(config.instanceId(), loop.ownedClusters().stream().sorted().toList());
    }
}
