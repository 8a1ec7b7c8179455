package io.regent.monitor.node;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** An action this agent will not (or could not) carry out, answered as RFC 9457 problem+json. */
public class NodeActionRefused extends RuntimeException {

    private final int status;
    private final String title;
    private final Duration retryAfter;

    public NodeActionRefused(int status, String title, String detail) {
        this(status, title, detail, null);
    }

    /** A refusal that passes by itself: the caller may ask again after {@code retryAfter} (the Retry-After header). */
    public NodeActionRefused(int status, String title, String detail, Duration retryAfter) {
        super(detail);
        this.status = status;
        this.title = title;
        this.retryAfter = retryAfter;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    @Provider
    public static class Mapper implements ExceptionMapper<NodeActionRefused> {
        @Override
        public Response toResponse(NodeActionRefused refused) {
            Map<String, Object> problem = new LinkedHashMap<>();
            problem.put("type", "about:blank");
            problem.put("title", refused.title());
            problem.put("status", refused.status());
            problem.put("detail", refused.getMessage());
            Response.ResponseBuilder response = Response.status(refused.status())
                    .type(MediaType.valueOf("application/problem+json")).entity(problem);
            if (refused.retryAfter != null) {
                response.header("Retry-After", Math.max(1, refused.retryAfter.toSeconds()));
            }
            return response.build();
        }
    }
}
