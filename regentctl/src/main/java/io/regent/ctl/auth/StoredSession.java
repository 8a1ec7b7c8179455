package io.regent.ctl.auth;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * What {@code regentctl login} keeps in the config folder (mode 0600): the tokens, never a password or a
 * client secret.
 *
 * @param server           the gateway the tokens are for
 * @param issuer           the realm that issued them
 * @param clientId         the client they were issued to ({@code regentctl} for people)
 * @param grant            {@code device} (a person) or {@code client_credentials} (automation)
 * @param user             who the gateway says the caller is
 * @param refreshExpiresAt null when unknown or when there is no refresh token
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StoredSession(String server, String issuer, String clientId, String grant, String user,
        String accessToken, Instant accessExpiresAt, String refreshToken, Instant refreshExpiresAt) {

    public static final String DEVICE = "device";
    public static final String CLIENT_CREDENTIALS = "client_credentials";

    StoredSession with(Tokens tokens) {
        return new StoredSession(server, issuer, clientId, grant, user, tokens.accessToken(), tokens.accessExpiresAt(),
                tokens.refreshToken() == null ? refreshToken : tokens.refreshToken(),
                tokens.refreshToken() == null ? refreshExpiresAt : tokens.refreshExpiresAt());
    }
}
