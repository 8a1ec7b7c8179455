package io.regent.registry.service;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A refusal a client can act on, rendered as RFC 9457 problem+json by the REST layer.
 * {@code extensions} become extra members of the problem (e.g. {@code currentEpoch}).
 */
public class ProblemException extends RuntimeException {

    private final int status;
    private final String title;
    private final Map<String, Object> extensions;

    public ProblemException(int status, String title, String detail, Map<String, Object> extensions) {
        super(detail);
        this.status = status;
        this.title = title;
        this.extensions = new LinkedHashMap<>(extensions);
    }

    public static ProblemException notFound(String what, String id) {
        return new ProblemException(404, what + " not found", "No " + what.toLowerCase() + " '" + id
                + "' exists. List them with GET /api/v1/clusters.", Map.of());
    }

    public static ProblemException conflict(String detail) {
        return new ProblemException(409, "Conflict", detail, Map.of());
    }

    /** The request is well-formed but contradicts the current state or itself (422). */
    public static ProblemException unprocessable(String field, String detail) {
        return new ProblemException(422, "Invalid request", detail,
                Map.of("errors", java.util.List.of(Map.of("field", field, "message", detail))));
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public Map<String, Object> extensions() {
        return extensions;
    }
}
