package io.regent.ctl.auth;

import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where a command's access token comes from, first match wins:
 * <ol>
 * <li>{@code REGENT_TOKEN}: a token the caller got elsewhere, used as it is;</li>
 * <li>{@code REGENTCTL_CLIENT_ID} and {@code REGENTCTL_CLIENT_SECRET}: a client-credentials token, fetched for this
 * run and kept nowhere (automation: nothing on disk);</li>
 * <li>the stored session of {@code regentctl login} for this gateway, refreshed when it is about to run out.</li>
 * </ol>
 */
public final class Credentials {

    /** A token with less left than this is refreshed first: a slow request must not arrive with a dead one. */
    static final Duration REFRESH_AHEAD = Duration.ofSeconds(30);

    private final String server;
    private final Map<String, String> env;
    private final SessionStore store;
    private final Function<String, OidcClient> oidc;
    private final Clock clock;
    private final IssuerLookup issuers;
    private StoredSession current;

    /** The realm the gateway trusts, asked of the gateway (or given with --issuer). */
    public interface IssuerLookup {
        String issuer();
    }

    public Credentials(String server, Map<String, String> env, SessionStore store, HttpClient http, Clock clock,
            IssuerLookup issuers) {
        this.server = server;
        this.env = env;
        this.store = store;
        this.clock = clock;
        this.issuers = issuers;
        this.oidc = issuer -> new OidcClient(issuer, http, clock);
    }

    /** The access token to send now. */
    public synchronized String bearer() {
        String given = env.get("REGENT_TOKEN");
        if (given != null && !given.isBlank()) {
            return given.strip();
        }
        if (current != null && fresh(current)) {
            return current.accessToken();
        }
        Optional<String> client = Optional.ofNullable(env.get("REGENTCTL_CLIENT_ID")).filter(s -> !s.isBlank());
        if (client.isPresent()) {
            String secret = env.get("REGENTCTL_CLIENT_SECRET");
            if (secret == null || secret.isBlank()) {
                throw new CtlException(ExitCodes.NOT_SIGNED_IN, "REGENTCTL_CLIENT_ID is set but "
                        + "REGENTCTL_CLIENT_SECRET is not: set both for a client-credentials sign-in");
            }
            String issuer = issuers.issuer();
            Tokens tokens = oidc.apply(issuer).clientCredentials(client.get(), secret);
            current = new StoredSession(server, issuer, client.get(), StoredSession.CLIENT_CREDENTIALS, null,
                    tokens.accessToken(), tokens.accessExpiresAt(), null, null);
            return current.accessToken();
        }
        StoredSession stored = store.load().orElseThrow(() -> new CtlException(ExitCodes.NOT_SIGNED_IN,
                "not signed in: run regentctl login --server " + server));
        if (!sameServer(stored.server(), server)) {
            throw new CtlException(ExitCodes.NOT_SIGNED_IN, "signed in to " + stored.server() + ", not to " + server
                    + ": run regentctl login --server " + server);
        }
        current = fresh(stored) ? stored : renewed(stored);
        return current.accessToken();
    }

    private StoredSession renewed(StoredSession stored) {
        boolean refreshable = stored.refreshToken() != null
                && (stored.refreshExpiresAt() == null || stored.refreshExpiresAt().isAfter(clock.instant()));
        if (!refreshable) {
            throw new CtlException(ExitCodes.NOT_SIGNED_IN, "the session of " + label(stored) + " ran out: run "
                    + "regentctl login" + (StoredSession.CLIENT_CREDENTIALS.equals(stored.grant())
                    ? " again (or set REGENTCTL_CLIENT_ID and REGENTCTL_CLIENT_SECRET: nothing is stored then)" : ""));
        }
        Tokens tokens;
        try {
            tokens = oidc.apply(stored.issuer()).refresh(stored.clientId(), stored.refreshToken());
        } catch (CtlException e) {
            if (e.exitCode() == ExitCodes.NOT_SIGNED_IN) {
                throw new CtlException(ExitCodes.NOT_SIGNED_IN, "the session of " + label(stored)
                        + " was ended by the identity provider: run regentctl login", e);
            }
            throw e;
        }
        StoredSession renewed = stored.with(tokens);
        store.save(renewed);
        return renewed;
    }

    private boolean fresh(StoredSession session) {
        return session.accessExpiresAt() != null
                && session.accessExpiresAt().isAfter(clock.instant().plus(REFRESH_AHEAD));
    }

    private static String label(StoredSession session) {
        return session.user() == null ? session.clientId() : session.user();
    }

    static boolean sameServer(String a, String b) {
        return a != null && b != null && a.replaceAll("/+$", "").equalsIgnoreCase(b.replaceAll("/+$", ""));
    }
}
