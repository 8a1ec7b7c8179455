package io.regent.gateway.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.quarkus.oidc.OIDCException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every error the gateway answers is problem+json; never a stack trace, never a 500 for a client's mistake. */
public class ProblemMappers {

    public static final MediaType PROBLEM = MediaType.valueOf("application/problem+json");
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);
    private static final Logger AUDIT = Logger.getLogger("regent.audit");

    @ServerExceptionMapper
    public Response problem(ProblemException e) {
        return response(e.status(), e.title(), e.getMessage());
    }

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response unauthorized(RuntimeException e) {
        if (identityProviderUnreachable(e)) {
            return identityProviderDown(e);
        }
        return Response.fromResponse(response(401, "Not authenticated", "Send a valid bearer token from the "
                + "regent realm (Authorization: Bearer ...)")).header("WWW-Authenticate", "Bearer").build();
    }

    /** The token could not be checked because Keycloak cannot be reached: the caller's token may be fine. */
    @ServerExceptionMapper
    public Response identityProviderDown(OIDCException e) {
        return identityProviderDown((Throwable) e);
    }

    public static final String IDP_DOWN_TITLE = "Identity provider unavailable";
    public static final String IDP_DOWN_DETAIL = "The gateway cannot reach the identity provider (Keycloak) to check "
            + "who you are; nothing was done. Retry in a few seconds.";

    private static Response identityProviderDown(Throwable e) {
        LOG.warnf("identity provider unreachable: %s", e.getMessage());
        return Response.fromResponse(response(503, IDP_DOWN_TITLE, IDP_DOWN_DETAIL)).header("Retry-After", "5").build();
    }

    /** Whether authentication failed because the identity provider did not answer, rather than because of the token. */
    public static boolean identityProviderUnreachable(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof OIDCException || cause instanceof java.net.ConnectException
                    || cause instanceof io.netty.channel.ConnectTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** A refused change is audited too: who tried what. */
    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, ContainerRequestContext request) {
        if (!"GET".equals(request.getMethod())) {
            java.security.Principal who = request.getSecurityContext().getUserPrincipal();
            AUDIT.infof("who=%s what=%s %s outcome=403", who == null ? "?" : who.getName(), request.getMethod(),
                    request.getUriInfo().getPath());
        }
        return response(403, "Forbidden", "Your token lacks the role this endpoint needs (viewer reads, operator "
                + "requests switchovers, failovers and maintenance, admin changes clusters)");
    }

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e) {
        return response(400, "Invalid request", e.getConstraintViolations().stream()
                .map(v -> lastNode(v.getPropertyPath().toString()) + ": " + v.getMessage()).sorted()
                .reduce((a, b) -> a + "; " + b).orElse("invalid request"));
    }

    /** More specific than Quarkus' built-in mapper for these, which would answer plain JSON. */
    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e) {
        return unreadable(e);
    }

    @ServerExceptionMapper
    public Response unreadable(JsonProcessingException e) {
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            String field = mapping.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .reduce((a, b) -> a + "." + b).orElse("body");
            return response(400, "Invalid request", field + " has a value of the wrong type or format");
        }
        return response(400, "Invalid request", "The request body is not valid JSON: "
                + e.getOriginalMessage().split("\n")[0]);
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        String incident = UUID.randomUUID().toString();
        LOG.errorf(e, "unexpected error %s", incident);
        return response(500, "Internal error", "The gateway failed unexpectedly. Report incident " + incident
                + "; the request may be retried.");
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        String detail = status == 400 ? "The request body is not valid JSON of the expected shape"
                : status == 404 ? "No such resource" : status == 405 ? "Method not allowed here"
                : status == 415 ? "Send Content-Type: application/json" : "Request failed";
        return response(status, e.getResponse().getStatusInfo().getReasonPhrase(), detail);
    }

    static Response response(int status, String title, String detail) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", "about:blank");
        problem.put("title", title);
        problem.put("status", status);
        problem.put("detail", detail);
        return Response.status(status).type(PROBLEM).entity(problem).build();
    }

    private static String lastNode(String path) {
        int dot = path.lastIndexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }
}
