package io.regent.ctl.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import io.regent.ctl.api.Gateway;
import io.regent.ctl.auth.OidcClient;
import io.regent.ctl.auth.StoredSession;
import io.regent.ctl.auth.Tokens;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "login", description = {"Sign in and keep the session in the config folder (mode 0600).",
        "People: the device flow - open the printed page in any browser, check the code, sign in there.",
        "Automation: --client-id with the client's secret on stdin (--client-secret-stdin) or in "
                + "REGENTCTL_CLIENT_SECRET; or skip login and set REGENTCTL_CLIENT_ID and REGENTCTL_CLIENT_SECRET "
                + "for every run (nothing is stored then)."})
public final class LoginCommand extends CtlCommand {

    @Option(names = "--client-id", paramLabel = "CLIENT", description = "Sign in as this confidential client "
            + "(client credentials) instead of as a person.")
    String clientId;

    @Option(names = "--client-secret-stdin", description = "Read the client's secret from the first line of stdin "
            + "(never give a secret as an argument: ps shows arguments to everyone on the machine).")
    boolean secretOnStdin;

    @Override
    public Integer call() throws InterruptedException {
        String server = root.server();
        JsonNode settings = root.signInSettings();
        String issuer = root.issuer(settings);
        OidcClient oidc = new OidcClient(issuer, root.environment().http(), root.environment().clock());
        PrintWriter err = root.environment().err();
        String client;
        String grant;
        Tokens tokens;
        if (clientId != null) {
            client = clientId;
            grant = StoredSession.CLIENT_CREDENTIALS;
            tokens = oidc.clientCredentials(clientId, secret());
        } else {
            client = settings.path("cliClientId").asText("regentctl");
            grant = StoredSession.DEVICE;
            OidcClient.DeviceCode code = oidc.startDeviceSignIn(client);
            String page = code.verificationUriComplete() != null ? code.verificationUriComplete()
                    : code.verificationUri();
            err.println("To sign in to " + server + ", open this page in a browser and check that it shows the code "
                    + code.userCode() + ":");
            err.println("  " + page);
            if (code.verificationUriComplete() != null) {
                err.println("(or open " + code.verificationUri() + " and enter " + code.userCode() + ")");
            }
            err.println("Waiting for the sign-in (the code is valid for " + Views.duration(code.expiresIn()) + ")...");
            err.flush();
            tokens = oidc.awaitDeviceSignIn(client, code, root.environment().sleeper());
        }
        Tokens signedIn = tokens;
        JsonNode me = new Gateway(URI.create(server), root.environment().http(), signedIn::accessToken)
                .get("/api/v1/me");
        root.sessions().save(new StoredSession(server, issuer, client, grant, me.path("name").asText(null),
                tokens.accessToken(), tokens.accessExpiresAt(), tokens.refreshToken(), tokens.refreshExpiresAt()));
        printer().print(me, () -> "Signed in to " + server + " as " + me.path("name").asText() + " ("
                + (me.path("roles").isEmpty() ? "no Regent role: ask an admin for regent-viewer or more"
                : String.join(", ", Gateway.JSON.convertValue(me.path("roles"), String[].class))) + ")\n");
        return 0;
    }

    private String secret() {
        String secret;
        if (secretOnStdin) {
            try {
                secret = root.environment().in().readLine();
            } catch (IOException e) {
                secret = null;
            }
        } else {
            secret = root.environment().variable("REGENTCTL_CLIENT_SECRET");
        }
        if (secret == null || secret.isBlank()) {
            throw new CtlException(ExitCodes.USAGE, "--client-id " + clientId + " needs its secret: on stdin with "
                    + "--client-secret-stdin, or in REGENTCTL_CLIENT_SECRET (never as an argument)");
        }
        return secret.strip();
    }
}
