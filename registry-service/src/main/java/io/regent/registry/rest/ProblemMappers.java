package io.regent.registry.rest;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.regent.registry.service.ProblemException;
import jakarta.persistence.OptimisticLockException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Every error leaves as RFC 9457 {@code application/problem+json}: a status, a title, a detail a
 * person can act on, and for invalid input the offending fields. Never a stack trace; a 500 only
 * for a fault of ours, with an id to find it in the logs.
 */
public class ProblemMappers {

    public static final String PROBLEM_JSON = "application/problem+json";
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    @ServerExceptionMapper
    public Response problem(ProblemException e, UriInfo uri) {
        return build(e.status(), e.title(), e.getMessage(), uri, e.extensions());
    }

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e, UriInfo uri) {
        List<Map<String, String>> errors = e.getConstraintViolations().stream()
                .sorted(Comparator.comparing(v -> field(v)))
                .map(v -> Map.of("field", field(v), "message", v.getMessage()))
                .toList();
        String detail = errors.stream().map(err -> err.get("field") + " " + err.get("message"))
                .collect(Collectors.joining("; "));
        return build(400, "Invalid request", detail, uri, Map.of("errors", errors));
    }

    /** More specific than Quarkus' built-in mapper for these, which would answer plain JSON. */
    @ServerExceptionMapper
    public Response mismatched(com.fasterxml.jackson.databind.exc.MismatchedInputException e, UriInfo uri) {
        return unreadable(e, uri);
    }

    @ServerExceptionMapper
    public Response unreadable(JsonProcessingException e, UriInfo uri) {
        if (e instanceof JsonMappingException mapping && !mapping.getPath().isEmpty()) {
            String field = mapping.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
            String message = mapping instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException
                    ? "is not a known field" : "has a value of the wrong type or format";
            return build(400, "Invalid request", field + " " + message + ": " + mapping.getOriginalMessage()
                    .split("\n")[0], uri, Map.of("errors", List.of(Map.of("field", field, "message", message))));
        }
        String what = e instanceof JsonParseException ? "The body is not valid JSON" : "The body cannot be read";
        return build(400, "Invalid request", what + ": " + e.getOriginalMessage(), uri, Map.of());
    }

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response unauthenticated(RuntimeException e, UriInfo uri) {
        Response problem = build(401, "Unauthorized", "Send a valid bearer token from the Regent realm in the "
                + "Authorization header.", uri, Map.of());
        return Response.fromResponse(problem).header("WWW-Authenticate", "Bearer").build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, UriInfo uri) {
        return build(403, "Forbidden", "Your roles do not allow this. Reading needs regent-viewer, maintenance "
                + "regent-operator, cluster and node changes regent-admin.", uri, Map.of());
    }

    @ServerExceptionMapper
    public Response optimisticLock(OptimisticLockException e, UriInfo uri) {
        return build(409, "Conflict", "The cluster changed while this request was applied. Read it again and "
                + "retry.", uri, Map.of());
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
        int status = e.getResponse().getStatus();
        if (e.getCause() instanceof JsonProcessingException json) {
            return unreadable(json, uri); // a body that is not JSON at all
        }
        if (status >= 500) {
            return unexpected(e, uri);
        }
        String title = Response.Status.fromStatusCode(status) == null ? "Error"
                : Response.Status.fromStatusCode(status).getReasonPhrase();
        String detail = switch (status) {
            case 404 -> "Nothing is at " + uri.getPath() + ". The API lives under /api/v1; see /q/openapi.";
            case 405 -> "This method is not allowed on " + uri.getPath() + ".";
            case 406 -> "This endpoint answers application/json only.";
            case 415 -> "Send the body as application/json.";
            default -> e.getMessage();
        };
        return build(status, title, detail, uri, Map.of());
    }

    /** Two requests raced to create the same thing; the database's unique constraint caught the second. */
    @ServerExceptionMapper({jakarta.persistence.PersistenceException.class, jakarta.transaction.RollbackException.class,
            org.hibernate.exception.ConstraintViolationException.class})
    public Response persistence(Exception e, UriInfo uri) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException sql && "23505".equals(sql.getSQLState())) {
                return build(409, "Conflict", "Something with the same identity was created concurrently. Read "
                        + "the current state and retry if still needed.", uri, Map.of());
            }
        }
        return unexpected(e, uri);
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e, UriInfo uri) {
        String incident = UUID.randomUUID().toString();
        LOG.errorf(e, "unexpected error %s on %s", incident, uri.getPath());
        return build(500, "Internal error", "The registry failed unexpectedly. Report incident " + incident
                + "; the request may be retried.", uri, Map.of("incident", incident));
    }

    private static String field(ConstraintViolation<?> violation) {
        // "create.request.nodes[0].port" -> "nodes[0].port"; a query parameter keeps its own name
        List<String> parts = new ArrayList<>(List.of(violation.getPropertyPath().toString().split("\\.")));
        if (parts.size() > 2) {
            parts = parts.subList(2, parts.size());
        } else if (parts.size() == 2) {
            parts = parts.subList(1, 2);
        }
        return String.join(".", parts);
    }

    static Response build(int status, String title, String detail, UriInfo uri, Map<String, Object> extensions) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        body.put("instance", uri == null ? null : uri.getPath());
        body.putAll(extensions);
        return Response.status(status).type(PROBLEM_JSON).entity(body).build();
    }
}
