package io.regent.gateway.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.regent.gateway.config.GatewayConfig;
import io.regent.gateway.rest.ProblemException;
import io.regent.gateway.rest.ProblemMappers;
import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.logging.Logger;

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

    private static final Logger LOG = Logger.getLogger(SessionResource.class);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SecurityIdentity identity;
    private final String issuer;
    private final GatewayConfig config;
    private volatile String discovered;

    public SessionResource(SecurityIdentity identity,
            @ConfigProperty(name = "quarkus.oidc.auth-server-url") String issuer, GatewayConfig config) {
        this.identity = identity;
        this.issuer = issuer;
        this.config = config;
    }

    public record Me(String name, List<String> roles) {
    }

    /** Where a command-line client signs in: the realm's issuer and the public client it uses. */
    public record SignIn(String issuer, String cliClientId) {
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

    /**
     * How to sign in, for {@code regentctl login --server <this gateway>}: nothing else to configure. Public: the
     * issuer is in every token this gateway accepts anyway.
     */
    @GET
    @Path("/api/v1/sign-in")
    @PermitAll
    @Produces(MediaType.APPLICATION_JSON)
    public SignIn signIn() {
        return new SignIn(discoveredIssuer(), config.cliClientId());
    }

    /**
     * The realm's issuer as its discovery document states it - the address in the tokens, which Keycloak builds
     * from its public hostname - not the address this gateway reaches it at (in docker-compose an internal name
     * no command line on the host could resolve). Asked once, then kept.
     */
    private String discoveredIssuer() {
        String known = discovered;
        if (known != null) {
            return known;
        }
        URI document = URI.create(issuer.replaceAll("/+$", "") + "/.well-known/openid-configuration");
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(document).timeout(Duration.ofSeconds(5))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            String found = response.statusCode() == 200 ? JSON.readTree(response.body()).path("issuer").asText(null)
                    : null;
            if (found == null) {
                throw new IOException("HTTP " + response.statusCode() + " without an issuer");
            }
            discovered = found;
            return found;
        } catch (IOException e) {
            // its address stays inside (an internal name in compose); the log has it
            LOG.warnf("cannot read %s for GET /api/v1/sign-in: %s", document, e.toString());
            throw new ProblemException(503, ProblemMappers.IDP_DOWN_TITLE, "The identity provider does not answer, "
                    + "so where to sign in is not known now. Try again in a moment.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProblemException(503, ProblemMappers.IDP_DOWN_TITLE, "Interrupted while reading the identity "
                    + "provider's discovery document.");
        }
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
