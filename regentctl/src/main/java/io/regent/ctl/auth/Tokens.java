package io.regent.ctl.auth;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** A token endpoint's answer, with lifetimes turned into instants on this machine's clock. */
public record Tokens(String accessToken, Instant accessExpiresAt, String refreshToken, Instant refreshExpiresAt) {

    static Tokens from(JsonNode answer, Instant now) {
        String refresh = answer.path("refresh_token").asText(null);
        long refreshSeconds = answer.path("refresh_expires_in").asLong(0);
        return new Tokens(answer.path("access_token").asText(),
                now.plusSeconds(answer.path("expires_in").asLong(60)), refresh,
                refresh == null || refreshSeconds <= 0 ? null : now.plusSeconds(refreshSeconds));
    }
}
