package io.regent.ctl.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import io.regent.events.EventCodec;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The gateway's REST API and live feed, with the caller's bearer token. Every answer other than 2xx becomes an
 * {@link ApiProblem} (problem+json read as such, anything else described), every failure to connect a
 * {@link CtlException} with {@link ExitCodes#UNAVAILABLE}.
 */
public final class Gateway {

    public static final ObjectMapper JSON = EventCodec.objectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final URI server;
    private final HttpClient http;
    private final Supplier<String> bearer;

    /** @param bearer the access token to send; asked for on each request (a session refreshes it when due) */
    public Gateway(URI server, HttpClient http, Supplier<String> bearer) {
        this.server = server;
        this.http = http;
        this.bearer = bearer;
    }

    public URI server() {
        return server;
    }

    public static String encode(String pathSegment) {
        return URLEncoder.encode(pathSegment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public JsonNode get(String path) {
        return exchange(request(path).GET());
    }

    public <T> T get(String path, Class<T> type) {
        return convert(get(path), type);
    }

    public JsonNode send(String method, String path, Object body) {
        return exchange(request(path).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(write(body))));
    }

    public JsonNode delete(String path) {
        return exchange(request(path).DELETE());
    }

    /** A GET that needs no sign-in (the sign-in settings themselves). */
    public JsonNode getAnonymous(String path) {
        return exchange(HttpRequest.newBuilder(resolve(path)).timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json").GET());
    }

    public static <T> T convert(JsonNode node, Class<T> type) {
        try {
            return JSON.treeToValue(node, type);
        } catch (JsonProcessingException e) {
            throw new CtlException(ExitCodes.UNAVAILABLE, "the gateway answered with a " + type.getSimpleName()
                    + " this regentctl cannot read (" + e.getOriginalMessage() + "): are both the same version?", e);
        }
    }

    /**
     * Opens the Server-Sent Events feed at {@code path}. Its events are read on a thread of their own, so that a
     * caller can stop waiting at any time (a feed can stay silent for long).
     */
    public Feed follow(String path) {
        HttpRequest request = HttpRequest.newBuilder(resolve(path)).header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + bearer.get()).GET().build();
        HttpResponse<Stream<String>> response = call(request, HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() != 200) {
            String body;
            try (Stream<String> lines = response.body()) {
                body = String.join("\n", (Iterable<String>) lines::iterator);
            }
            throw problem(response.statusCode(), response.headers().firstValue("Content-Type"), body);
        }
        return new Feed(response.body(), server);
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(resolve(path)).timeout(REQUEST_TIMEOUT).header("Accept", "application/json")
                .header("Authorization", "Bearer " + bearer.get());
    }

    private URI resolve(String path) {
        String base = server.toString().replaceAll("/+$", "");
        return URI.create(base + path);
    }

    private JsonNode exchange(HttpRequest.Builder builder) {
        HttpResponse<String> response = call(builder.build(), HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return read(response.body());
        }
        throw problem(status, response.headers().firstValue("Content-Type"), response.body());
    }

    private <T> HttpResponse<T> call(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (ConnectException e) {
            throw new CtlException(ExitCodes.UNAVAILABLE, "cannot reach the gateway at " + server
                    + " (connection refused): is Regent running there, and is --server right?", e);
        } catch (HttpTimeoutException e) {
            throw new CtlException(ExitCodes.UNAVAILABLE, "the gateway at " + server + " did not answer "
                    + request.method() + " " + request.uri().getPath() + " in time", e);
        } catch (IOException e) {
            throw new CtlException(ExitCodes.UNAVAILABLE, "cannot reach the gateway at " + server + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CtlException(ExitCodes.UNAVAILABLE, "interrupted", e);
        }
    }

    static ApiProblem problem(int status, Optional<String> contentType, String body) {
        JsonNode json = null;
        if (contentType.filter(type -> type.contains("json")).isPresent()) {
            try {
                json = JSON.readTree(body);
            } catch (JsonProcessingException e) {
                json = null;
            }
        }
        if (json != null && json.isObject() && (json.hasNonNull("title") || json.hasNonNull("detail"))) {
            String detail = json.path("detail").asText(null);
            if (status == 401) {
                detail = (detail == null ? "" : detail + " - ") + "sign in with: regentctl login";
            }
            return new ApiProblem(status, json.path("title").asText(null), detail, json);
        }
        String title = switch (status) {
            case 401 -> "Not signed in";
            case 403 -> "Forbidden";
            case 404 -> "Not found";
            case 502 -> "Bad gateway";
            case 503 -> "Service unavailable";
            default -> "HTTP error";
        };
        String detail = status == 401 ? "the gateway did not accept the token - sign in with: regentctl login"
                : body == null || body.isBlank() ? null : body.strip().lines().findFirst().orElse(null);
        return new ApiProblem(status, title, detail, null);
    }

    private static JsonNode read(String body) {
        if (body == null || body.isBlank()) {
            return NullNode.getInstance();
        }
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new CtlException(ExitCodes.UNAVAILABLE, "the gateway answered with something that is not JSON: "
                    + body.strip().lines().findFirst().orElse(""), e);
        }
    }

    private static String write(Object body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write the request body", e);
        }
    }
}
