package io.regent.devstack.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.regent.testkit.keycloak.Keycloak;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

/** The demo's own calls: Keycloak for a user's token, then the public API like any client. */
public final class DemoApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    // HTTP/1.1: each request balanced by HAProxy, no h2c upgrade tunnelled to one registry replica
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, String> tokens = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, java.time.Instant> issued = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A user's token, renewed each minute: a password grant costs Keycloak real CPU, which would
     * disturb what benchmarks and campaigns measure if every poll asked for one.
     */
    public String cachedToken(String user, String password) {
        java.time.Instant at = issued.get(user);
        if (at == null || at.isBefore(java.time.Instant.now().minusSeconds(60))) {
            tokens.put(user, token(user, password));
            issued.put(user, java.time.Instant.now());
        }
        return tokens.get(user);
    }

    /** A demo user's access token (password grant of the local Keycloak's test client). */
    public String token(String user, String password) {
        String form = Map.of("grant_type", "password", "client_id", Keycloak.TEST_CLIENT, "username", user,
                "password", password).entrySet().stream().map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
        Response response = send(HttpRequest.newBuilder(DemoLayout.keycloak().resolve("/realms/" + Keycloak.REALM
                + "/protocol/openid-connect/token")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)));
        if (response.status() != 200) {
            throw new DemoException("Keycloak refused to sign in " + user + ": HTTP " + response.status());
        }
        return response.json().get("access_token").asText();
    }

    public Response get(URI base, String path, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(request);
    }

    public Response post(URI base, String path, String token, Object body) {
        try {
            return send(HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private Response send(HttpRequest.Builder request) {
        HttpRequest built = request.timeout(Duration.ofSeconds(10)).header("Accept", "application/json").build();
        try {
            HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            return new Response(0, String.valueOf(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DemoException("interrupted", e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** An answer; status 0 when there was no connection. */
    public record Response(int status, String body) {

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new DemoException("not JSON (HTTP " + status + "): " + body, e);
            }
        }
    }
}
