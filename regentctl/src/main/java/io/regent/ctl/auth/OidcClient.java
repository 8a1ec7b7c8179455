package io.regent.ctl.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import io.regent.ctl.api.Gateway;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The realm's token endpoints, found by OpenID Connect discovery: the device authorization grant (RFC 8628) for
 * people, client credentials for automation, refresh and revocation.
 */
public final class OidcClient {

    /** How a device sign-in waits: between polls (the server may ask for more), and in all (the server's limit). */
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    /** What a person is shown: where to go and which code to check there. */
    public record DeviceCode(String deviceCode, String userCode, String verificationUri,
            String verificationUriComplete, Duration expiresIn, Duration interval) {
    }

    private final String issuer;
    private final HttpClient http;
    private final Clock clock;
    private JsonNode discovery;

    public OidcClient(String issuer, HttpClient http, Clock clock) {
        this.issuer = issuer.replaceAll("/+$", "");
        this.http = http;
        this.clock = clock;
    }

    public String issuer() {
        return issuer;
    }

    public DeviceCode startDeviceSignIn(String clientId) {
        String endpoint = endpoint("device_authorization_endpoint");
        JsonNode answer = post(endpoint, form("client_id", clientId, "scope", "openid"), "device sign-in");
        return new DeviceCode(answer.path("device_code").asText(), answer.path("user_code").asText(),
                answer.path("verification_uri").asText(), answer.path("verification_uri_complete").asText(null),
                Duration.ofSeconds(answer.path("expires_in").asLong(600)),
                Duration.ofSeconds(Math.max(1, answer.path("interval").asLong(5))));
    }

    /** Polls until the person has approved (or denied, or the code ran out), as RFC 8628 section 3.5 says. */
    public Tokens awaitDeviceSignIn(String clientId, DeviceCode code, Sleeper sleeper) throws InterruptedException {
        Instant deadline = clock.instant().plus(code.expiresIn());
        Duration interval = code.interval();
        String endpoint = endpoint("token_endpoint");
        while (true) {
            sleeper.sleep(interval);
            HttpResponse<String> response = exchange(endpoint, form("grant_type",
                    "urn:ietf:params:oauth:grant-type:device_code", "client_id", clientId, "device_code",
                    code.deviceCode()));
            JsonNode answer = parse(response.body());
            if (response.statusCode() == 200) {
                return Tokens.from(answer, clock.instant());
            }
            String error = answer.path("error").asText("");
            switch (error) {
                case "authorization_pending" -> {
                }
                case "slow_down" -> interval = interval.plusSeconds(5);
                case "access_denied" -> throw new CtlException(ExitCodes.NOT_SIGNED_IN,
                        "the sign-in was denied in the browser");
                case "expired_token" -> throw new CtlException(ExitCodes.NOT_SIGNED_IN,
                        "the code ran out before the sign-in was approved: run regentctl login again");
                default -> throw refused("device sign-in", response.statusCode(), answer);
            }
            if (clock.instant().isAfter(deadline)) {
                throw new CtlException(ExitCodes.NOT_SIGNED_IN,
                        "the code ran out before the sign-in was approved: run regentctl login again");
            }
        }
    }

    public Tokens clientCredentials(String clientId, String secret) {
        return Tokens.from(post(endpoint("token_endpoint"), form("grant_type", "client_credentials", "client_id",
                clientId, "client_secret", secret), "client-credentials sign-in of " + clientId), clock.instant());
    }

    public Tokens refresh(String clientId, String refreshToken) {
        return Tokens.from(post(endpoint("token_endpoint"), form("grant_type", "refresh_token", "client_id", clientId,
                "refresh_token", refreshToken), "session refresh"), clock.instant());
    }

    /** Ends the session at the identity provider (best effort: a failure leaves a token that runs out by itself). */
    public boolean revoke(String clientId, String refreshToken) {
        JsonNode endpoint = discovery().path("revocation_endpoint");
        if (endpoint.isMissingNode() || endpoint.isNull()) {
            return false;
        }
        HttpResponse<String> response = exchange(endpoint.asText(), form("client_id", clientId, "token",
                refreshToken, "token_type_hint", "refresh_token"));
        return response.statusCode() == 200;
    }

    private String endpoint(String name) {
        String url = discovery().path(name).asText(null);
        if (url == null) {
            throw new CtlException(ExitCodes.UNAVAILABLE, "the identity provider at " + issuer + " offers no "
                    + name.replace('_', ' ') + " (is the device grant enabled for the client?)");
        }
        return url;
    }

    private synchronized JsonNode discovery() {
        if (discovery == null) {
            URI uri = URI.create(issuer + "/.well-known/openid-configuration");
            HttpResponse<String> response = send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET()
                    .build());
            if (response.statusCode() != 200) {
                throw new CtlException(ExitCodes.UNAVAILABLE, "the identity provider at " + issuer
                        + " answered " + response.statusCode() + " to its discovery document (" + uri + ")");
            }
            discovery = parse(response.body());
        }
        return discovery;
    }

    private JsonNode post(String endpoint, String form, String what) {
        HttpResponse<String> response = exchange(endpoint, form);
        JsonNode answer = parse(response.body());
        if (response.statusCode() != 200) {
            throw refused(what, response.statusCode(), answer);
        }
        return answer;
    }

    private static CtlException refused(String what, int status, JsonNode answer) {
        String error = answer.path("error").asText("HTTP " + status);
        String description = answer.path("error_description").asText("");
        int exit = status >= 500 ? ExitCodes.UNAVAILABLE : ExitCodes.NOT_SIGNED_IN;
        return new CtlException(exit, "the identity provider refused the " + what + ": " + error
                + (description.isBlank() ? "" : " (" + description + ")"));
    }

    private HttpResponse<String> exchange(String endpoint, String form) {
        return send(HttpRequest.newBuilder(URI.create(endpoint)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build());
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CtlException(ExitCodes.UNAVAILABLE, "cannot reach the identity provider at " + issuer + ": "
                    + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CtlException(ExitCodes.UNAVAILABLE, "interrupted", e);
        }
    }

    private static JsonNode parse(String body) {
        try {
            return Gateway.JSON.readTree(body == null || body.isBlank() ? "{}" : body);
        } catch (JsonProcessingException e) {
            return Gateway.JSON.createObjectNode();
        }
    }

    private static String form(String... pairs) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            fields.put(pairs[i], pairs[i + 1]);
        }
        return fields.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }
}
