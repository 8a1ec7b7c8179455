package io.regent.devstack;

import io.regent.devstack.bench.FailoverBenchmark;
import io.regent.devstack.bench.MariaDbFailoverBenchmark;
import io.regent.devstack.chaos.ChaosCampaign;
import io.regent.devstack.chaos.Checker;
import io.regent.devstack.demo.Demo;
import io.regent.devstack.demo.DemoControl;
import io.regent.devstack.demo.DemoHome;
import io.regent.devstack.demo.DemoException;
import io.regent.devstack.demo.DemoLayout;
import io.regent.devstack.demo.Preflight;
import io.regent.devstack.demo.Progress;
import io.regent.testkit.OsUser;
import io.regent.testkit.Testkit;
import io.regent.testkit.TestkitException;
import io.regent.testkit.postgres.PostgresBinaries;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./regent}: the command line of the local demo. The shell script checks the JDK and builds
 * what is missing, then runs this class with {@code -Dregent.repository=<checkout>}.
 */
public final class Regent {

    static final String USAGE = """
            usage: ./regent demo [--fresh] [--exit-when-ready] [--home DIR]
                     start everything on this machine (Ctrl-C stops it); --fresh deletes the previous
                     run's data first; --exit-when-ready stops again once healthy (a smoke test)
                   ./regent demo kill-leader    kill -9 of the running demo's leader; reports the failover
                   ./regent demo stop           stop the running demo
                   ./regent chaos [--faults N] [--seed S] [--mode sync|async] [--home DIR]
                     on a fresh demo stack (default folder .regent/chaos), its cluster synchronous
                     (ANY 1) or asynchronous: N faults in seeded random order with checking writers;
                     exit 1 if a write was lost (async: beyond maxLagOnFailoverBytes), a split brain
                     or a false failover happened
                   ./regent bench failover [--trials N] [--mode kill|switchover] [--fault kill|freeze] [--home DIR]
                     on a fresh demo stack (default folder .regent/bench): N kill -9 trials of the
                     leader (--fault freeze: SIGSTOP; or N switchovers), a table and a JSON line with percentiles
                   ./regent bench failover --engine mariadb [--trials N]
                     N kill -9 trials of a MariaDB leader, each on a fresh 3-node cluster, under
                     Kafka, the registry, three agents and a failover-service (no demo stack)
                   ./regent ctl COMMAND ...
                     regentctl, the command line (./regent ctl --help; docs/regentctl.md)
            """;

    /** Held: the JDK keeps loggers weakly, and a collected one forgets its level. */
    private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger("io.regent.testkit");

    /** Parsed command line; {@code error} set when it cannot be parsed. */
    record Command(String action, boolean fresh, boolean exitWhenReady, Path home, String error, int trials,
            FailoverBenchmark.Mode mode, long seed, boolean asynchronous) {

        Command(String action, boolean fresh, boolean exitWhenReady, Path home, String error) {
            this(action, fresh, exitWhenReady, home, error, 0, null, 0, false);
        }

        Command(String action, boolean fresh, boolean exitWhenReady, Path home, String error, int trials,
                FailoverBenchmark.Mode mode) {
            this(action, fresh, exitWhenReady, home, error, trials, mode, 0, false);
        }

        static Command parse(List<String> args, Path defaultHome) {
            if (!args.isEmpty() && args.get(0).equals("chaos")) {
                return parseChaos(args, defaultHome.resolveSibling("chaos"));
            }
            if (!args.isEmpty() && args.get(0).equals("bench")) {
                return parseBench(args, defaultHome.resolveSibling("bench"));
            }
            if (args.isEmpty() || !args.get(0).equals("demo")) {
                return error(args.isEmpty() ? "no command given" : "unknown command '" + args.get(0) + "'");
            }
            String action = "start";
            boolean fresh = false;
            boolean exitWhenReady = false;
            Path home = defaultHome;
            for (int i = 1; i < args.size(); i++) {
                String arg = args.get(i);
                switch (arg) {
                    case "kill-leader", "stop" -> {
                        if (!action.equals("start")) {
                            return error("only one of kill-leader and stop at a time");
                        }
                        action = arg;
                    }
                    case "--fresh" -> fresh = true;
                    case "--exit-when-ready" -> exitWhenReady = true;
                    case "--home" -> {
                        if (i + 1 >= args.size()) {
                            return error("--home needs a folder");
                        }
                        home = Path.of(args.get(++i));
                    }
                    case "-h", "--help" -> {
                        return new Command("help", false, false, home, null);
                    }
                    default -> {
                        return error("unknown option '" + arg + "'");
                    }
                }
            }
            if (!action.equals("start") && (fresh || exitWhenReady)) {
                return error("--fresh and --exit-when-ready go with starting the demo, not with " + action);
            }
            return new Command(action, fresh, exitWhenReady, home.toAbsolutePath().normalize(), null);
        }

        private static Command parseBench(List<String> args, Path home) {
            if (args.size() < 2 || !args.get(1).equals("failover")) {
                return error("unknown benchmark" + (args.size() < 2 ? "" : " '" + args.get(1) + "'")
                        + "; there is: bench failover");
            }
            int trials = 20;
            FailoverBenchmark.Mode mode = FailoverBenchmark.Mode.KILL;
            boolean mariaDb = false;
            for (int i = 2; i < args.size(); i++) {
                String arg = args.get(i);
                String value = i + 1 < args.size() ? args.get(i + 1) : null;
                switch (arg) {
                    case "--trials" -> {
                        if (value == null || !value.matches("[1-9][0-9]{0,3}")) {
                            return error("--trials needs a number from 1 to 9999");
                        }
                        trials = Integer.parseInt(value);
                        i++;
                    }
                    case "--mode" -> {
                        if (!"kill".equals(value) && !"switchover".equals(value)) {
                            return error("--mode is kill or switchover");
                        }
                        if (mode == FailoverBenchmark.Mode.FREEZE) {
                            return error("--fault freeze is a kind of failure, not a switchover: one of the two");
                        }
                        mode = value.equals("kill") ? FailoverBenchmark.Mode.KILL : FailoverBenchmark.Mode.SWITCHOVER;
                        i++;
                    }
                    case "--fault" -> {
                        if (!"kill".equals(value) && !"freeze".equals(value)) {
                            return error("--fault is kill (SIGKILL of the leader's server) or freeze (SIGSTOP)");
                        }
                        if (mode == FailoverBenchmark.Mode.SWITCHOVER) {
                            return error("--fault freeze is a kind of failure, not a switchover: one of the two");
                        }
                        mode = value.equals("kill") ? FailoverBenchmark.Mode.KILL : FailoverBenchmark.Mode.FREEZE;
                        i++;
                    }
                    case "--home" -> {
                        if (value == null) {
                            return error("--home needs a folder");
                        }
                        home = Path.of(value);
                        i++;
                    }
                    case "--engine" -> {
                        if (!"postgresql".equals(value) && !"mariadb".equals(value)) {
                            return error("--engine is postgresql or mariadb");
                        }
                        mariaDb = value.equals("mariadb");
                        i++;
                    }
                    default -> {
                        return error("unknown option '" + arg + "'");
                    }
                }
            }
            if (mariaDb && mode != FailoverBenchmark.Mode.KILL) {
                return error("--engine mariadb measures kill -9 trials only; switchovers and frozen leaders run on "
                        + "the demo stack, which is PostgreSQL only so far");
            }
            return new Command(mariaDb ? "bench-failover-mariadb" : "bench-failover", true, false,
                    home.toAbsolutePath().normalize(), null, trials, mode);
        }

        private static Command parseChaos(List<String> args, Path home) {
            int faults = 5;
            long seed = System.currentTimeMillis() % 100_000;
            boolean asynchronous = false;
            for (int i = 1; i < args.size(); i++) {
                String arg = args.get(i);
                String value = i + 1 < args.size() ? args.get(i + 1) : null;
                switch (arg) {
                    case "--faults" -> {
                        if (value == null || !value.matches("[1-9][0-9]{0,3}")) {
                            return error("--faults needs a number from 1 to 9999");
                        }
                        faults = Integer.parseInt(value);
                    }
                    case "--seed" -> {
                        if (value == null || !value.matches("-?[0-9]{1,18}")) {
                            return error("--seed needs a whole number");
                        }
                        seed = Long.parseLong(value);
                    }
                    case "--mode" -> {
                        if (!"sync".equals(value) && !"async".equals(value)) {
                            return error("--mode is sync or async");
                        }
                        asynchronous = value.equals("async");
                    }
                    case "--home" -> {
                        if (value == null) {
                            return error("--home needs a folder");
                        }
                        home = Path.of(value);
                    }
                    default -> {
                        return error("unknown option '" + arg + "'");
                    }
                }
                i++;
            }
            return new Command("chaos", true, false, home.toAbsolutePath().normalize(), null, faults, null, seed,
                    asynchronous);
        }

        private static Command error(String message) {
            return new Command(null, false, false, null, message);
        }
    }

    public static void main(String[] args) {
        // the testkit's own INFO lines would interleave with the progress lines
        QUIET.setLevel(java.util.logging.Level.WARNING);
        Path repository = Path.of(System.getProperty("regent.repository", ".")).toAbsolutePath().normalize();
        Command command = Command.parse(List.of(args), repository.resolve(".regent/demo"));
        int code = run(command, repository, System.out, System.err);
        if (code >= 0) {
            System.exit(code);
        }
        // a running demo: the main thread waits, Ctrl-C (or ./regent demo stop) ends it
        try {
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The exit code, or -1 for a demo that keeps running. */
    static int run(Command command, Path repository, PrintStream out, PrintStream err) {
        if (command.error() != null) {
            err.println("regent: " + command.error() + "\n" + USAGE);
            return 2;
        }
        try {
            // starting places the home where the servers' OS user reaches it; the others act on it as it is
            boolean starts = List.of("start", "bench-failover", "chaos").contains(command.action());
            if (starts) {
                // first: installing PostgreSQL (as root with apt-get) creates the OS user the home must suit
                PostgresBinaries.locate();
            }
            DemoLayout layout = new DemoLayout(starts
                    ? new DemoHome(OsUser.forServers(), DemoHome.outsideRoot()).place(command.home())
                    : DemoHome.existing(command.home()));
            return switch (command.action()) {
                case "help" -> {
                    out.print(USAGE);
                    yield 0;
                }
                case "kill-leader" -> {
                    new DemoControl(layout, out).killLeader();
                    yield 0;
                }
                case "stop" -> {
                    new DemoControl(layout, out).stop();
                    yield 0;
                }
                case "bench-failover" -> bench(command, repository, layout, out, err);
                case "bench-failover-mariadb" -> benchMariaDb(command, repository, out);
                case "chaos" -> chaos(command, repository, layout, out, err);
                default -> start(command, repository, layout, out, err);
            };
        } catch (DemoException | TestkitException e) {
            err.println("regent: " + e.getMessage());
            return 1;
        }
    }

    private static int start(Command command, Path repository, DemoLayout layout, PrintStream out, PrintStream err) {
        Demo demo = launch(command, repository, layout, out, err, Demo.Options.DEMO);
        if (demo == null) {
            return 2;
        }
        out.print(demo.summary());
        if (command.exitWhenReady()) {
            out.println("\n--exit-when-ready: stopping again.");
            demo.close();
            return 0;
        }
        out.println("\nCtrl-C stops everything.");
        return -1;
    }

    /** The benchmark on a fresh stack of its own, stopped afterwards. */
    private static int bench(Command command, Path repository, DemoLayout layout, PrintStream out, PrintStream err) {
        // trials follow each other as soon as the cluster is whole again: no anti-flapping pause between them
        Demo demo = launch(command, repository, layout, out, err, new Demo.Options(Duration.ofSeconds(1), false));
        if (demo == null) {
            return 2;
        }
        String json;
        try {
            out.printf("%n%s: %d trials on %d cores, %s%n", switch (command.mode()) {
                        case KILL -> "kill -9 of the leader";
                        case FREEZE -> "SIGSTOP of the leader (frozen: ambiguous evidence)";
                        case SWITCHOVER -> "planned switchover";
                    }, command.trials(),
                    Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"));
            json = new FailoverBenchmark(demo, out).run(command.trials(), command.mode());
        } finally {
            demo.close();
        }
        out.println(json); // the last line, for scripts
        return 0;
    }

    /** The MariaDB benchmark: its own control plane (no Keycloak, gateway or dashboard), a fresh cluster per trial. */
    private static int benchMariaDb(Command command, Path repository, PrintStream out) {
        out.printf("kill -9 of a MariaDB leader: %d trials on %d cores, %s%n", command.trials(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"));
        String json = new MariaDbFailoverBenchmark(repository, out).run(command.trials());
        out.println(json); // the last line, for scripts
        return 0;
    }

    /** The fault campaign on a fresh stack of its own, stopped afterwards; 1 if the checker failed. */
    private static int chaos(Command command, Path repository, DemoLayout layout, PrintStream out, PrintStream err) {
        // two failover-service instances and two registry replicas: the control plane's own faults are part of it
        // and each node with its agent on a machine of its own (a network namespace), so that a partition can cut
        // the leader off
        Demo demo = launch(command, repository, layout, out, err, new Demo.Options(Duration.ofSeconds(1),
                !command.asynchronous(), 2, 2, true));
        if (demo == null) {
            return 2;
        }
        ChaosCampaign.Result result;
        try {
            String mode = command.asynchronous() ? "async" : "sync";
            out.printf("%nchaos: %d faults, seed %d, %s replication (./regent chaos --faults %d --seed %d --mode %s "
                    + "repeats this order)%n", command.trials(), command.seed(), mode, command.trials(), command.seed(),
                    mode);
            result = new ChaosCampaign(demo, out, command.asynchronous()).run(command.trials(), command.seed());
        } finally {
            demo.close();
        }
        Checker.Verdict verdict = result.verdict();
        out.printf("%nacknowledged writes %d, lost %d, split-brain %d, false failovers %d, missed failovers %d, "
                + "incomplete operation records %d, stranded %d (longest time without an acknowledged write %.1f s)%n",
                verdict.acknowledged(), verdict.lost().size(), verdict.splitBrain().size(),
                verdict.falseFailovers().size(), verdict.missedFailovers().size(), verdict.incomplete().size(),
                verdict.stranded().size(), verdict.longestWriteGap() == null ? 0.0
                        : verdict.longestWriteGap().length().toMillis() / 1000.0);
        verdict.lost().stream().limit(20).forEach(id -> out.println("  lost: id " + id));
        verdict.splitBrain().stream().limit(20).forEach(ack -> out.println("  split brain: " + ack));
        verdict.falseFailovers().forEach(f -> out.println("  false failover during " + f));
        verdict.missedFailovers().forEach(f -> out.println("  no failover after " + f));
        verdict.incomplete().forEach(r -> out.println("  incomplete record: " + r));
        verdict.stranded().forEach(g -> out.println("  no acknowledged write between " + g.after() + " and "
                + g.before()));
        verdict.asyncLoss().forEach(l -> out.println("  failover to " + l.failover().node() + " at "
                + l.failover().at() + " gave up " + l.writes() + " write(s) acknowledged by " + l.deposed()
                + (l.bytes() == null ? "" : ", " + l.bytes() + " bytes of WAL past the branch point")));
        verdict.rpoExceeded().forEach(l -> out.println("  more than maxLagOnFailoverBytes given up: " + l));
        out.println(result.json()); // the last line, for scripts
        return verdict.passed() ? 0 : 1;
    }

    /** Preflight, then the stack; null (with the reason printed) when it cannot start. */
    private static Demo launch(Command command, Path repository, DemoLayout layout, PrintStream out, PrintStream err,
            Demo.Options options) {
        DemoControl control = new DemoControl(layout, out);
        if (control.runningDemo().isPresent()) {
            err.println("regent: a demo is already running from " + layout.home() + " (pid "
                    + control.runningDemo().get().pid() + "). Its dashboard is " + DemoLayout.gateway()
                    + "; stop it with Ctrl-C in its terminal or ./regent demo stop.");
            return null;
        }
        List<DemoLayout.Port> busy = Preflight.busyPorts(options.registryReplicas() > 1 || options.failoverInstances() > 1
                ? DemoLayout.CAMPAIGN_PORTS : DemoLayout.PORTS);
        if (!busy.isEmpty()) {
            err.println("regent: " + Preflight.busyMessage(busy));
            return null;
        }
        try {
            PostgresBinaries.locate(); // installs them when it can
        } catch (TestkitException e) {
            err.println("regent: " + e.getMessage() + " - nothing was started.");
            return null;
        }
        List<String> missing = new ArrayList<>();
        for (String module : List.of("registry-service", "monitor-service", "failover-service", "api-gateway")) {
            if (!Files.isRegularFile(repository.resolve(module).resolve("target/quarkus-app/quarkus-run.jar"))) {
                missing.add(module);
            }
        }
        if (!missing.isEmpty()) {
            err.println("regent: not built yet: " + missing + ". Run ./regent build (or ./mvnw package -DskipTests).");
            return null;
        }
        if (command.fresh()) {
            Testkit.deleteRecursively(layout.home());
            out.println("--fresh: deleted the previous run's data in " + layout.home());
        }
        System.setProperty(Testkit.HOME, layout.home().toString());
        Progress progress = new Progress(out);
        try {
            return Demo.start(repository, layout, progress, options);
        } catch (RuntimeException e) {
            throw new DemoException("the demo did not start: " + e.getMessage() + "\nEverything it started is "
                    + "stopped; the logs are in " + layout.logs(), e);
        }
    }
}
