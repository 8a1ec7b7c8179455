package io.regent.ctl.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which token a command sends, decided without a network (the paths that need one run in CtlIT). */
class CredentialsTest {

    private static final String SERVER = "http://127.0.0.1:8080";
    private static final Instant NOW = Instant.parse("2026-12-07T04:00:00Z");

    @TempDir
    Path folder;

    private Credentials credentials(Map<String, String> env) {
        return new Credentials(SERVER, env, new SessionStore(folder), HttpClient.newHttpClient(),
                Clock.fixed(NOW, ZoneOffset.UTC), () -> {
                    throw new AssertionError("no issuer is needed here");
                });
    }

    private void stored(String server, Instant accessExpires, String refresh, Instant refreshExpires) {
        new SessionStore(folder).save(new StoredSession(server, "http://127.0.0.1:8180/realms/regent", "regentctl",
                StoredSession.DEVICE, "olivia", "stored-access", accessExpires, refresh, refreshExpires));
    }

    @Test
    void aGivenTokenIsSentAsItIs() {
        stored(SERVER, NOW.plusSeconds(600), null, null);
        assertThat(credentials(Map.of("REGENT_TOKEN", " given \n")).bearer()).isEqualTo("given");
    }

    @Test
    void aFreshStoredSessionIsUsedForItsOwnServerOnly() {
        stored(SERVER + "/", NOW.plusSeconds(600), null, null);
        assertThat(credentials(Map.of()).bearer()).isEqualTo("stored-access");

        stored("http://127.0.0.1:9999", NOW.plusSeconds(600), null, null);
        assertThatThrownBy(() -> credentials(Map.of()).bearer()).isInstanceOf(CtlException.class)
                .hasMessage("signed in to http://127.0.0.1:9999, not to " + SERVER + ": run regentctl login --server "
                        + SERVER);
    }

    @Test
    void withoutASessionItSaysHowToSignIn() {
        assertThatThrownBy(() -> credentials(Map.of()).bearer()).isInstanceOf(CtlException.class)
                .hasMessage("not signed in: run regentctl login --server " + SERVER)
                .satisfies(e -> assertThat(((CtlException) e).exitCode()).isEqualTo(ExitCodes.NOT_SIGNED_IN));
    }

    @Test
    void anExpiredSessionWithoutARefreshTokenMustSignInAgain() {
        stored(SERVER, NOW.plusSeconds(10), null, null); // less than the 30 s a request may take
        assertThatThrownBy(() -> credentials(Map.of()).bearer())
                .hasMessage("the session of olivia ran out: run regentctl login");
        stored(SERVER, NOW.minusSeconds(10), "refresh", NOW.minusSeconds(1));
        assertThatThrownBy(() -> credentials(Map.of()).bearer())
                .hasMessage("the session of olivia ran out: run regentctl login");
    }

    @Test
    void aClientIdWithoutItsSecretIsAMistake() {
        assertThatThrownBy(() -> credentials(Map.of("REGENTCTL_CLIENT_ID", "ci-bot")).bearer())
                .hasMessage("REGENTCTL_CLIENT_ID is set but REGENTCTL_CLIENT_SECRET is not: set both for a "
                        + "client-credentials sign-in");
    }
}
