package io.regent.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.ctl.auth.OidcClient;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mistakes on the command line: a clear line, exit code 2, nothing sent (the API is exercised in CtlIT). */
class RegentCtlTest {

    @TempDir
    Path home;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(Map<String, String> env, String stdin, String... args) {
        OidcClient.Sleeper noSleep = duration -> {
        };
        return RegentCtl.run(new Environment(new PrintWriter(out), new PrintWriter(err),
                new BufferedReader(new StringReader(stdin)), env, home, Clock.systemUTC(),
                Environment.newHttpClient(), noSleep), args);
    }

    @Test
    void helpListsTheCommandsAndTheExitCodes() {
        assertThat(run(Map.of(), "", "--help")).isZero();
        assertThat(out.toString()).contains("switchover", "failover", "maintenance", "rejoin", "rebuild", "history",
                "watch", "add-cluster", "add-node", "remove-node", "topology", "list",
                "6  refused as it stands");
    }

    @Test
    void withoutAServerItAsksWhichRegent() {
        assertThat(run(Map.of(), "", "list")).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).isEqualTo("regentctl: which Regent? Pass --server URL (the api-gateway) or set "
                + "REGENT_SERVER" + System.lineSeparator());
    }

    @Test
    void aServerThatIsNoUrlIsRefused() {
        assertThat(run(Map.of("REGENT_SERVER", "regent.example.com"), "", "list")).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("--server regent.example.com is not an http(s) URL such as "
                + "https://regent.example.com");
    }

    @Test
    void anUnknownOutputFormatIsAUsageError() {
        assertThat(run(Map.of(), "", "list", "-o", "xml")).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("'xml' is not an output format: use table, json or yaml");
    }

    @Test
    void aMissingClusterArgumentIsAUsageError() {
        assertThat(run(Map.of(), "", "topology")).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("Missing required parameter: 'CLUSTER'");
    }

    @Test
    void aSecretIsNeverTakenAsAnArgument() {
        Map<String, String> env = new HashMap<>(Map.of("REGENT_SERVER", "http://127.0.0.1:1"));
        assertThat(run(env, "", "login", "--client-secret", "s3cret")).isEqualTo(ExitCodes.USAGE);
        assertThat(err.toString()).contains("Unknown option").contains("'--client-secret'");
    }

    @Test
    void theGatewayOutOfReachIsExitCodeSeven() {
        assertThat(run(Map.of("REGENT_SERVER", "http://127.0.0.1:1", "REGENT_TOKEN", "t"), "", "list"))
                .isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(err.toString()).startsWith("regentctl: cannot reach the gateway at http://127.0.0.1:1 "
                + "(connection refused): is Regent running there, and is --server right?");
    }
}
