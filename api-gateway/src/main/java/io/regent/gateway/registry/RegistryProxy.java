package io.regent.gateway.registry;

import io.quarkus.oidc.AccessTokenCredential;
import io.quarkus.security.identity.SecurityIdentity;
import io.regent.gateway.rest.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.function.Function;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * Forwards inventory and history calls to the registry with the caller's access token (bearer or
 * the dashboard session's), and hands back the registry's answer: its validation and not-found
 * problems already name the field and the fix. The registry failing or unreachable becomes a 502
 * or 503 problem, never a 500 and never the registry's internals.
 */
@ApplicationScoped
public class RegistryProxy {

    private static final Logger AUDIT = Logger.getLogger("regent.audit");
    private static final Logger LOG = Logger.getLogger(RegistryProxy.class);

    private final RegistryApi registry;
    private final SecurityIdentity identity;

    public RegistryProxy(@RestClient RegistryApi registry, SecurityIdentity identity) {
        this.registry = registry;
        this.identity = identity;
    }

    public RegistryApi api() {
        return registry;
    }

    /** A read: the registry's answer as it is. */
    public Response read(Function<String, Response> call) {
        return forward(call);
    }

    /** A change: forwarded, then audited with who asked and how it ended. */
    public Response change(String what, String target, Function<String, Response> call) {
        String who = identity.getPrincipal().getName();
        try {
            Response response = forward(call);
            AUDIT.infof("who=%s what=%s target=%s outcome=%d", who, what, target, response.getStatus());
            return response;
        } catch (ProblemException e) {
            AUDIT.infof("who=%s what=%s target=%s outcome=%d (%s)", who, what, target, e.status(), e.title());
            throw e;
        }
    }

    private Response forward(Function<String, Response> call) {
        AccessTokenCredential token = identity.getCredential(AccessTokenCredential.class);
        if (token == null) {
            throw new ProblemException(401, "Not authenticated", "Send a valid bearer token from the regent realm "
                    + "(Authorization: Bearer ...) or sign in to the dashboard");
        }
        try (Response response = call.apply("Bearer " + token.getToken())) {
            return passThrough(response);
        } catch (WebApplicationException e) {
            return passThrough(e.getResponse());
        } catch (ProcessingException e) {
            LOG.warnf("registry unreachable: %s", e.getMessage());
            throw new ProblemException(503, "Registry unavailable", "The registry did not answer; nothing was "
                    + "changed by this gateway. Retry in a few seconds.");
        }
    }

    private static Response passThrough(Response response) {
        int status = response.getStatus();
        if (status >= 500) {
            LOG.warnf("registry answered %d", status);
            throw new ProblemException(502, "Registry failed", "The registry could not complete the request (status "
                    + status + "). Retry; if it persists, check the registry's health.");
        }
        Response.ResponseBuilder answer = Response.status(status);
        if (response.hasEntity()) {
            answer.entity(response.readEntity(String.class)).type(response.getMediaType());
        }
        URI location = response.getLocation();
        if (location != null) { // the registry's own address stays internal: point at the same path here
            answer.header(HttpHeaders.LOCATION, location.getRawPath()
                    + (location.getRawQuery() == null ? "" : "?" + location.getRawQuery()));
        }
        return answer.build();
    }
}
