package io.regent.ctl.command;

import io.regent.ctl.auth.OidcClient;
import io.regent.ctl.auth.SessionStore;
import io.regent.ctl.auth.StoredSession;
import java.util.Optional;
import picocli.CommandLine.Command;

@Command(name = "logout", description = "End the stored session at the identity provider and delete it.")
public final class LogoutCommand extends CtlCommand {

    @Override
    public Integer call() {
        SessionStore store = root.sessions();
        Optional<StoredSession> session;
        try {
            session = store.load();
        } catch (RuntimeException unreadable) {
            session = Optional.empty(); // an unusable session file is deleted all the same
        }
        boolean revoked = false;
        if (session.isPresent() && session.get().refreshToken() != null) {
            try {
                revoked = new OidcClient(session.get().issuer(), root.environment().http(),
                        root.environment().clock()).revoke(session.get().clientId(), session.get().refreshToken());
            } catch (RuntimeException unreachable) {
                revoked = false; // the token runs out by itself; the file goes in any case
            }
        }
        boolean deleted = store.delete();
        boolean ended = revoked;
        printer().print(fields("signedOut", deleted, "sessionEnded", ended),
                () -> deleted ? "Signed out" + (ended ? " (the session is ended at the identity provider too)" : "")
                        + "\n" : "Not signed in\n");
        return 0;
    }
}
