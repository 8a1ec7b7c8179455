package io.regent.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.ctl.api.Gateway;
import io.regent.ctl.auth.Credentials;
import io.regent.ctl.auth.SessionStore;
import io.regent.ctl.auth.StoredSession;
import io.regent.ctl.command.AddClusterCommand;
import io.regent.ctl.command.AddNodeCommand;
import io.regent.ctl.command.HistoryCommand;
import io.regent.ctl.command.LeaderChangeCommand;
import io.regent.ctl.command.ListCommand;
import io.regent.ctl.command.LoginCommand;
import io.regent.ctl.command.LogoutCommand;
import io.regent.ctl.command.MaintenanceCommand;
import io.regent.ctl.command.NodeRepairCommand;
import io.regent.ctl.command.RemoveClusterCommand;
import io.regent.ctl.command.RemoveNodeCommand;
import io.regent.ctl.command.TokenCommand;
import io.regent.ctl.command.TopologyCommand;
import io.regent.ctl.command.WatchCommand;
import io.regent.ctl.command.WhoamiCommand;
import io.regent.ctl.output.Format;
import io.regent.ctl.output.Printer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code regentctl}: Regent from the command line, through the api-gateway (the same API, roles and audit as the
 * dashboard). Every failure is one line on stderr and an exit code from {@link ExitCodes}.
 */
@Command(name = "regentctl", mixinStandardHelpOptions = true, versionProvider = RegentCtl.Version.class,
        description = "Regent from the command line: clusters, topology, switchover, failover, maintenance, "
                + "rejoin, history and the live feed, through the api-gateway.",
        subcommands = {LoginCommand.class, LogoutCommand.class, WhoamiCommand.class, ListCommand.class,
                TopologyCommand.class, LeaderChangeCommand.Switchover.class, LeaderChangeCommand.Failover.class,
                MaintenanceCommand.class, NodeRepairCommand.Rejoin.class, NodeRepairCommand.Rebuild.class,
                HistoryCommand.class, WatchCommand.class, AddClusterCommand.class, AddNodeCommand.class,
                RemoveNodeCommand.class, RemoveClusterCommand.class, TokenCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  done (with --wait: the operation succeeded)",
                "  1  the operation waited for failed, was cancelled or did not end in time",
                "  2  a mistake in the command line or a file, or a question answered no",
                "  3  not signed in, or the session ran out (regentctl login)",
                "  4  signed in without the role this needs",
                "  5  no such cluster, node or operation",
                "  6  refused as it stands (epoch moved, operation running, invalid field)",
                "  7  the gateway or the identity provider could not be reached or failed",
                "%nEnvironment:",
                "  REGENT_SERVER            the gateway (instead of --server)",
                "  REGENTCTL_CONFIG_DIR     where the session is kept",
                "  REGENT_TOKEN             an access token to send as it is",
                "  REGENTCTL_CLIENT_ID and  automation: a client-credentials token for each",
                "  REGENTCTL_CLIENT_SECRET  run, nothing stored"})
public final class RegentCtl {

    /** Exit code of a failure regentctl did not expect (a defect: the message says where). */
    public static final int INTERNAL_ERROR = 70;

    @Option(names = "--server", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "The api-gateway, e.g. https://regent.example.com (default: $REGENT_SERVER, else the "
                    + "one last signed in to).")
    String server;

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "FORMAT",
            description = "table (default), json or yaml.", converter = FormatConverter.class)
    Format output;

    @Option(names = {"-y", "--yes"}, scope = ScopeType.INHERIT,
            description = "Do not ask before a switchover, failover, maintenance change, rejoin, rebuild or removal.")
    boolean yes;

    @Option(names = "--config-dir", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "Where the session is kept (default: $REGENTCTL_CONFIG_DIR, else "
                    + "$XDG_CONFIG_HOME/regentctl, else ~/.config/regentctl).")
    Path configDir;

    @Option(names = "--issuer", scope = ScopeType.INHERIT, paramLabel = "URL", hidden = true,
            description = "The realm's issuer URL (default: asked of the gateway).")
    String issuer;

    private final Environment environment;
    private Credentials credentials;
    private Gateway gateway;

    public RegentCtl(Environment environment) {
        this.environment = environment;
    }

    public static void main(String[] args) {
        System.exit(run(Environment.system(), args));
    }

    /** Runs one command line; returns its exit code. */
    public static int run(Environment environment, String... args) {
        RegentCtl root = new RegentCtl(environment);
        CommandLine commandLine = new CommandLine(root);
        commandLine.setOut(environment.out()).setErr(environment.err()).setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, line, parsed) -> {
                    if (e instanceof CtlException failure) {
                        line.getErr().println("regentctl: " + failure.getMessage());
                        line.getErr().flush();
                        return failure.exitCode();
                    }
                    line.getErr().println("regentctl: unexpected " + e + " (a defect: please report it with the "
                            + "command line)");
                    line.getErr().flush();
                    return INTERNAL_ERROR;
                });
        int code = commandLine.execute(args);
        environment.out().flush();
        environment.err().flush();
        return code;
    }

    public Environment environment() {
        return environment;
    }

    public Printer printer() {
        return new Printer(output == null ? Format.TABLE : output, environment.out());
    }

    public Path configDir() {
        if (configDir != null) {
            return configDir;
        }
        String given = environment.variable("REGENTCTL_CONFIG_DIR");
        if (given != null) {
            return Path.of(given);
        }
        String xdg = environment.variable("XDG_CONFIG_HOME");
        return (xdg != null ? Path.of(xdg) : environment.home().resolve(".config")).resolve("regentctl");
    }

    public SessionStore sessions() {
        return new SessionStore(configDir());
    }

    /** The gateway's URL: --server, else $REGENT_SERVER, else the one the stored session is for. */
    public String server() {
        String chosen = server != null ? server : environment.variable("REGENT_SERVER");
        if (chosen == null) {
            chosen = sessions().load().map(StoredSession::server).orElseThrow(() -> new CtlException(
                    ExitCodes.USAGE, "which Regent? Pass --server URL (the api-gateway) or set REGENT_SERVER"));
        }
        URI uri;
        try {
            uri = URI.create(chosen.strip());
        } catch (IllegalArgumentException e) {
            throw new CtlException(ExitCodes.USAGE, "--server " + chosen + " is not a URL: " + e.getMessage());
        }
        if (uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null) {
            throw new CtlException(ExitCodes.USAGE, "--server " + chosen + " is not an http(s) URL such as "
                    + "https://regent.example.com");
        }
        return chosen.strip().replaceAll("/+$", "");
    }

    /** The realm the gateway trusts: --issuer, else $REGENT_ISSUER, else asked of the gateway. */
    public String issuer() {
        String chosen = chosenIssuer();
        return chosen != null ? chosen : signInSettings().path("issuer").asText();
    }

    /** The same, from sign-in settings already fetched. */
    public String issuer(JsonNode signInSettings) {
        String chosen = chosenIssuer();
        return chosen != null ? chosen : signInSettings.path("issuer").asText();
    }

    private String chosenIssuer() {
        return issuer != null ? issuer : environment.variable("REGENT_ISSUER");
    }

    /** The gateway's {@code /api/v1/sign-in}: the issuer and the client id regentctl signs people in with. */
    public JsonNode signInSettings() {
        JsonNode settings = new Gateway(URI.create(server()), environment.http(), () -> "").getAnonymous(
                "/api/v1/sign-in");
        if (!settings.hasNonNull("issuer")) {
            throw new CtlException(ExitCodes.UNAVAILABLE, server() + "/api/v1/sign-in names no issuer: is "
                    + server() + " a Regent api-gateway?");
        }
        return settings;
    }

    public synchronized Credentials credentials() {
        if (credentials == null) {
            credentials = new Credentials(server(), environment.variables(), sessions(), environment.http(),
                    environment.clock(), this::issuer);
        }
        return credentials;
    }

    public synchronized Gateway gateway() {
        if (gateway == null) {
            Credentials signedIn = credentials();
            gateway = new Gateway(URI.create(server()), environment.http(), signedIn::bearer);
        }
        return gateway;
    }

    /**
     * Asks before something that changes a cluster; with --yes it does not. A "no", or no answer at all (stdin
     * closed: a script), sends nothing.
     */
    public void confirm(String question) {
        if (yes) {
            return;
        }
        environment.err().print(question + " [y/N] ");
        environment.err().flush();
        String answer;
        try {
            answer = environment.in().readLine();
        } catch (IOException e) {
            answer = null;
        }
        if (answer == null) {
            environment.err().println();
            throw new CtlException(ExitCodes.USAGE, "no answer (stdin is closed): nothing was requested - pass "
                    + "--yes to skip the question");
        }
        String normalized = answer.strip().toLowerCase(Locale.ROOT);
        if (!normalized.equals("y") && !normalized.equals("yes")) {
            throw new CtlException(ExitCodes.USAGE, "not confirmed: nothing was requested");
        }
    }

    static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            try {
                return Format.valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not an output format: use table, "
                        + "json or yaml");
            }
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = RegentCtl.class.getPackage().getImplementationVersion();
            return new String[] {"regentctl " + (version == null ? "(development build)" : version)};
        }
    }
}
