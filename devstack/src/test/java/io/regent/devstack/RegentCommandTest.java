package io.regent.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.devstack.Regent.Command;
import io.regent.devstack.demo.DemoLayout;
import io.regent.devstack.demo.Preflight;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: what each invocation means, and the message of each mistake. */
class RegentCommandTest {

    /** Never touched on disk: the homes are only parsed. {@code {tmp}} in a row stands for it. */
    @TempDir
    static Path tmp;

    /** The default demo home; the benchmark's and the campaign's are its siblings. */
    private static Path home() {
        return tmp.resolve("regent/demo");
    }

    private static List<String> args(String line) {
        return Arrays.stream(line.split(" ")).map(RegentCommandTest::resolve).toList();
    }

    private static String resolve(String text) {
        return text.replace("{tmp}", tmp.toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "demo                                | start       | false | false | {tmp}/regent/demo",
            "demo --fresh                        | start       | true  | false | {tmp}/regent/demo",
            "demo --exit-when-ready              | start       | false | true  | {tmp}/regent/demo",
            "demo --fresh --exit-when-ready      | start       | true  | true  | {tmp}/regent/demo",
            "demo --home {tmp}/elsewhere               | start       | false | false | {tmp}/elsewhere",
            "demo kill-leader                    | kill-leader | false | false | {tmp}/regent/demo",
            "demo kill-leader --home {tmp}/elsewhere   | kill-leader | false | false | {tmp}/elsewhere",
            "demo stop                           | stop        | false | false | {tmp}/regent/demo",
            "demo --help                         | help        | false | false | {tmp}/regent/demo"})
    void validCommands(String line, String action, boolean fresh, boolean exitWhenReady, String home) {
        Command command = Command.parse(args(line), home());
        assertThat(command.error()).isNull();
        assertThat(command.action()).isEqualTo(action);
        assertThat(command.fresh()).isEqualTo(fresh);
        assertThat(command.exitWhenReady()).isEqualTo(exitWhenReady);
        assertThat(command.home()).isEqualTo(Path.of(resolve(home)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "bench failover                              | 20 | KILL       | {tmp}/regent/bench",
            "bench failover --trials 5                   | 5  | KILL       | {tmp}/regent/bench",
            "bench failover --mode switchover --trials 3 | 3  | SWITCHOVER | {tmp}/regent/bench",
            "bench failover --home {tmp}/elsewhere                | 20 | KILL       | {tmp}/elsewhere",
            "bench failover --engine mariadb --trials 10 | 10 | KILL       | {tmp}/regent/bench",
            "bench failover --engine postgresql          | 20 | KILL       | {tmp}/regent/bench",
            "bench failover --fault freeze --trials 10   | 10 | FREEZE     | {tmp}/regent/bench",
            "bench failover --fault kill                 | 20 | KILL       | {tmp}/regent/bench"})
    void benchmarkCommands(String line, int trials, String mode, String home) {
        Command command = Command.parse(args(line), home());
        assertThat(command.error()).isNull();
        assertThat(command.action()).isEqualTo(line.contains("mariadb") ? "bench-failover-mariadb" : "bench-failover");
        assertThat(command.trials()).isEqualTo(trials);
        assertThat(command.mode().name()).isEqualTo(mode);
        assertThat(command.fresh()).as("every benchmark starts from nothing").isTrue();
        assertThat(command.home()).isEqualTo(Path.of(resolve(home)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "chaos --faults 5 --seed 42           | 5   | 42 | {tmp}/regent/chaos | false",
            "chaos --seed -7 --faults 100         | 100 | -7 | {tmp}/regent/chaos | false",
            "chaos --faults 1 --seed 0 --home {tmp}/c | 1   | 0  | {tmp}/c       | false",
            "chaos --faults 3 --seed 1 --mode async | 3 | 1  | {tmp}/regent/chaos | true",
            "chaos --mode sync --faults 3 --seed 1 | 3  | 1  | {tmp}/regent/chaos | false"})
    void chaosCommands(String line, int faults, long seed, String home, boolean asynchronous) {
        Command command = Command.parse(args(line), home());
        assertThat(command.error()).isNull();
        assertThat(command.action()).isEqualTo("chaos");
        assertThat(command.trials()).isEqualTo(faults);
        assertThat(command.seed()).isEqualTo(seed);
        assertThat(command.asynchronous()).isEqualTo(asynchronous);
        assertThat(command.fresh()).as("every campaign starts from nothing").isTrue();
        assertThat(command.home()).isEqualTo(Path.of(resolve(home)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "chaos --faults 0            | --faults needs a number from 1 to 9999",
            "chaos --seed x              | --seed needs a whole number",
            "chaos --kill-everything     | unknown option '--kill-everything'",
            "chaos --mode semisync       | --mode is sync or async",
            "bench                       | unknown benchmark; there is: bench failover",
            "bench switchover            | unknown benchmark 'switchover'; there is: bench failover",
            "bench failover --trials 0   | --trials needs a number from 1 to 9999",
            "bench failover --trials x   | --trials needs a number from 1 to 9999",
            "bench failover --mode chaos | --mode is kill or switchover",
            "bench failover --engine mongodb | --engine is postgresql or mariadb",
            "bench failover --fault partition | --fault is kill (SIGKILL of the leader's server) or freeze (SIGSTOP)",
            "bench failover --fault freeze --mode switchover | --fault freeze is a kind of failure, not a switchover: "
                    + "one of the two",
            "bench failover --engine mariadb --fault freeze | --engine mariadb measures kill -9 trials only; "
                    + "switchovers and frozen leaders run on the demo stack, which is PostgreSQL only so far",
            "bench failover --engine mariadb --mode switchover | --engine mariadb measures kill -9 trials only; "
                    + "switchovers and frozen leaders run on the demo stack, which is PostgreSQL only so far",
            "''                          | no command given",
            "start                       | unknown command 'start'",
            "demo --frsh                 | unknown option '--frsh'",
            "demo --home                 | --home needs a folder",
            "demo kill-leader stop       | only one of kill-leader and stop at a time",
            "demo kill-leader --fresh    | --fresh and --exit-when-ready go with starting the demo, not with kill-leader",
            "demo stop --exit-when-ready | --fresh and --exit-when-ready go with starting the demo, not with stop"})
    void mistakesAreNamed(String line, String error) {
        List<String> args = line.isEmpty() ? List.of() : Arrays.asList(line.split(" "));
        assertThat(Command.parse(args, home()).error()).isEqualTo(error);
    }

    @Test
    void aMistakeExitsWithTwoAndPrintsTheUsage() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Regent.run(Command.parse(List.of("demo", "--frsh"), home()), Path.of("."), System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("regent: unknown option '--frsh'",
                "usage: ./regent demo [--fresh] [--exit-when-ready] [--home DIR]");
    }

    @Test
    void killLeaderWithoutARunningDemoSaysHowToStartOne() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path nowhere = tmp.resolve("no-demo-here");
        int code = Regent.run(Command.parse(List.of("demo", "kill-leader", "--home", nowhere.toString()), home()),
                Path.of("."), System.out, new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("No demo is running from " + nowhere,
                "Start one with ./regent demo");
    }

    @Test
    void theBusyPortMessageNamesEachPortAndWhatItIsFor() {
        String message = Preflight.busyMessage(List.of(new DemoLayout.Port(8080, "api-gateway (dashboard and API)"),
                new DemoLayout.Port(9092, "Kafka broker")));
        assertThat(message).contains("127.0.0.1:8080  (for the api-gateway (dashboard and API))",
                "127.0.0.1:9092  (for the Kafka broker)", "ss -ltnp 'sport = :8080'", "Nothing was started.");
    }

    @Test
    void everyPortOfTheLayoutIsDistinct() {
        assertThat(DemoLayout.PORTS.stream().map(DemoLayout.Port::number).distinct().count())
                .isEqualTo(DemoLayout.PORTS.size());
    }
}
