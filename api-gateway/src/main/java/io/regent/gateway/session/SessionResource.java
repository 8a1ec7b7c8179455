package io.regent.gateway.session;

import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * Signing in and out of the dashboard, and who the caller is. {@code /login} needs the dashboard
 * tenant's code flow, so reaching it without a session sends the browser to Keycloak; coming back
 * signed in, it sends the browser to the dashboard. {@code /logout} with a session is handled by
 * Quarkus (it ends the Keycloak session too); without one there is nothing to end.
 */
@Path("/")
public class SessionResource {

    public static final String LOGIN = "/login";
    public static final String LOGOUT = "/logout";

    private final SecurityIdentity identity;

    public SessionResource(SecurityIdentity identity) {
        this.identity = identity;
    }

    public record Me(String name, List<String> roles) {
    }

    @GET
    @Path(LOGIN)
    @Authenticated
    @Operation(hidden = true)
    public Response login() {
        return Response.seeOther(URI.create("/")).build();
    }

    @GET
    @Path(LOGOUT)
    @PermitAll
    @Operation(hidden = true)
    public Response loggedOut() {
        return Response.seeOther(URI.create("/")).build();
    }

    /** The caller's name and Regent roles (the dashboard shows them and hides what they may not do). */
    @GET
    @Path("/api/v1/me")
    @Authenticated
    @Produces(MediaType.APPLICATION_JSON)
    public Me me() {
        return new Me(identity.getPrincipal().getName(), identity.getRoles().stream()
                .filter(role -> role.startsWith("regent-")).sorted().toList());
    }
}
