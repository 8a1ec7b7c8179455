package io.regent.failover.identity;

import io.quarkus.oidc.client.OidcClients;
import io.quarkus.oidc.client.runtime.TokensHelper;
import io.regent.failover.config.FailoverConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * This service's identity towards the registry and the node agents (role {@code regent-service}).
 * Deployed, it is the service's confidential Keycloak client: tokens by the client-credentials grant,
 * obtained on first use and renewed before they expire ({@code quarkus.oidc-client.*}). A static
 * token ({@code REGENT_SERVICE_TOKEN}) takes precedence - for development and self-contained tests.
 */
@ApplicationScoped
public class ServiceIdentity {

    private static final Duration TOKEN_TIMEOUT = Duration.ofSeconds(10);

    private final Optional<String> staticToken;
    private final boolean clientCredentials;
    private final OidcClients clients;
    private final TokensHelper tokens = new TokensHelper();

    public ServiceIdentity(FailoverConfig config, OidcClients clients,
            @ConfigProperty(name = "quarkus.oidc-client.client-enabled", defaultValue = "false") boolean clientCredentials) {
        this.staticToken = config.registry().token();
        this.clientCredentials = clientCredentials;
        this.clients = clients;
    }

    /** The Authorization header value, or empty when the service has no identity configured. */
    public Optional<String> authorization() {
        if (staticToken.isPresent()) {
            return staticToken.map(token -> "Bearer " + token);
        }
        if (!clientCredentials) {
            return Optional.empty();
        }
        return Optional.of("Bearer " + tokens.getTokens(clients.getClient()).await().atMost(TOKEN_TIMEOUT)
                .getAccessToken());
    }
}
