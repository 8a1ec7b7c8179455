package io.regent.devstack.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.devstack.demo.DemoLayout;
import io.regent.devstack.demo.Preflight;
import io.regent.testkit.ProcessTable;
import io.regent.testkit.Signals;
import io.regent.testkit.Testkit;
import io.regent.testkit.browser.Browser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;

/**
 * {@code ./regent demo} as a newcomer runs it, from the checkout: the refusals that must leave
 * nothing behind (a busy port, no PostgreSQL binaries, an old JDK), a cold start with a
 * {@code kill-leader} failover seen in the dashboard and a Ctrl-C, then a warm
 * {@code --exit-when-ready} run on the same data. After each run no process of the demo is left
 * and its ports are free.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DemoIT {

    private static final Path REPOSITORY = Path.of(System.getProperty("regent.it.repository", "..")).toAbsolutePath()
            .normalize();
    private static final Path HOME = REPOSITORY.resolve("devstack/target/demo-it");
    private static final Path SCREENSHOTS = REPOSITORY.resolve("devstack/target/screenshots");
    private static final Pattern STARTED = Pattern.compile("started in (\\d+) s");

    private static Process demo;
    private static final List<String> timings = new ArrayList<>();

    @BeforeAll
    static void clean() {
        Testkit.killEverythingUnder(HOME);
        Testkit.deleteRecursively(HOME);
    }

    @AfterAll
    static void stopWhatIsLeft() throws Exception {
        if (demo != null && demo.isAlive()) {
            demo.destroy();
            demo.waitFor(120, TimeUnit.SECONDS);
        }
        Testkit.killEverythingUnder(HOME);
        timings.forEach(System.out::println);
    }

    @Test
    @Order(1)
    void aBusyPortIsNamedAndNothingStarts() throws Exception {
        try (ServerSocket taken = new ServerSocket(DemoLayout.FAILOVER, 1, InetAddress.getLoopbackAddress())) {
            Run run = regent(Map.of(), Duration.ofMinutes(2), "demo", "--exit-when-ready");
            assertThat(run.exit()).isEqualTo(2);
            assertThat(run.output()).contains("127.0.0.1:" + DemoLayout.FAILOVER, "failover-service",
                    "Nothing was started");
        }
        assertNothingRunning();
    }

    @Test
    @Order(2)
    void missingPostgresBinariesAreExplained() throws Exception {
        Run run = regent(Map.of("PG_BIN", "/nonexistent/bin"), Duration.ofMinutes(1), "demo");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.output()).contains("PG_BIN=/nonexistent/bin does not hold postgres, initdb and pg_basebackup");
        assertNothingRunning();
    }

    @Test
    @Order(3)
    void tooOldAJdkIsExplained() throws Exception {
        Path fakeJdk = Files.createDirectories(HOME.resolveSibling("old-jdk/bin"));
        Path java = fakeJdk.resolve("java");
        Files.writeString(java, "#!/bin/sh\necho 'openjdk version \"11.0.21\" 2023-10-17' >&2\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Run run = regent(Map.of("JAVA_HOME", fakeJdk.getParent().toString()), Duration.ofMinutes(1), "demo");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.output()).contains("is Java 11.0.21; Regent needs JDK 17 or newer");
        assertNothingRunning();
    }

    @Test
    @Order(4)
    void coldStartThenKillLeaderShowsAFailoverInTheDashboardAndCtrlCStopsEverything() throws Exception {
        // a JVM started with SIGINT ignored keeps ignoring it (as under nohup), and the demo inherits this JVM's
        // dispositions: a build started in the background of a shell without job control could never Ctrl-C it
        assertThat(ignoresSigint(ProcessHandle.current().pid())).as("this JVM ignores SIGINT because Maven was "
                + "started with it ignored (in the background of a non-interactive shell): run ./mvnw in the "
                + "foreground, or with job control (set -m)").isFalse();
        Path log = Files.createDirectories(HOME.getParent()).resolve("demo-it-cold.log");
        demo = command("demo", "--home", HOME.toString()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            runAndInterrupt(log);
        } finally {
            if (demo.isAlive()) {
                demo.destroy();
                demo.waitFor(120, TimeUnit.SECONDS);
            }
        }
        assertThat(Files.readString(log)).contains("stopping...", "stopped; the data stays in");
        assertNothingRunning();
    }

    private void runAndInterrupt(Path log) throws Exception {
        awaitLine(log, "Ctrl-C stops everything.", Duration.ofMinutes(5));
        String output = Files.readString(log);
        timings.add("cold start: " + started(output) + " s");
        assertThat(output).contains("first run", "Dashboard   http://127.0.0.1:8080/", "demo cluster led by demo-1");
        Properties secrets = secrets();

        try (Browser browser = Browser.chromium(SCREENSHOTS)) {
            browser.open(DemoLayout.gateway() + "/login");
            browser.signInOnKeycloak("operator", secrets.getProperty("user.operator"));
            browser.waitUntil(() -> browser.text(By.cssSelector("[data-test=user]")).startsWith("operator"));
            browser.open(DemoLayout.gateway() + "/#/clusters/demo");
            browser.waitUntil(() -> browser.text(By.cssSelector("p [data-test=leader]")).equals("demo-1"));
            browser.screenshot("demo-before-kill-leader");

            Run kill = regent(Map.of(), Duration.ofMinutes(2), "demo", "kill-leader", "--home", HOME.toString());
            assertThat(kill.exit()).as(kill.output()).isZero();
            assertThat(kill.output()).contains("killed the leader demo-1", "is the new leader");

            browser.waitUntil(Duration.ofSeconds(60), () -> !browser.driver().findElements(By.cssSelector(
                    "li[data-kind=FAILOVER][data-status=SUCCEEDED]")).isEmpty());
            String newLeader = browser.text(By.cssSelector("p [data-test=leader]"));
            assertThat(newLeader).isIn("demo-2", "demo-3");
            // the old leader is rewound and follows again: the dashboard shows the rejoin too
            browser.waitUntil(Duration.ofSeconds(90), () -> !browser.driver().findElements(By.cssSelector(
                    "li[data-kind=REJOIN][data-status=SUCCEEDED]")).isEmpty());
            browser.screenshot("demo-after-kill-leader");
        }

        Signals.send("INT", demo.pid()); // what Ctrl-C at the terminal sends
        assertThat(demo.waitFor(120, TimeUnit.SECONDS)).as("the demo ends after Ctrl-C").isTrue();
    }

    @Test
    @Order(5)
    void aWarmRunReusesTheDataAndExitsWhenReady() throws Exception {
        Run run = regent(Map.of(), Duration.ofMinutes(5), "demo", "--exit-when-ready", "--home", HOME.toString());
        assertThat(run.exit()).as(run.output()).isZero();
        timings.add("warm start: " + started(run.output()) + " s");
        // the cluster as the failover left it: a new leader, the old one following, all healthy again
        assertThat(run.output()).contains("reusing the data", "demo cluster already registered", "healthy:",
                "--exit-when-ready: stopping again.", "stopped; the data stays in");
        assertThat(run.output()).doesNotContain("led by demo-1");
        assertNothingRunning();
    }

    private static void assertNothingRunning() {
        assertThat(ProcessTable.liveUnder(HOME)).as("processes of the demo still running").isEmpty();
        assertThat(Preflight.busyPorts(DemoLayout.PORTS)).as("ports of the demo still in use").isEmpty();
    }

    private static Properties secrets() throws IOException {
        Properties properties = new Properties();
        try (var reader = Files.newBufferedReader(HOME.resolve("secrets.properties"))) {
            properties.load(reader);
        }
        return properties;
    }

    private static String started(String output) {
        Matcher matcher = STARTED.matcher(output);
        return matcher.find() ? matcher.group(1) : "?";
    }

    private static ProcessBuilder command(String... args) {
        List<String> command = new ArrayList<>(List.of(REPOSITORY.resolve("regent").toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).directory(REPOSITORY.toFile());
    }

    private static Run regent(Map<String, String> environment, Duration timeout, String... args) throws Exception {
        ProcessBuilder builder = command(args).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes(); // ends when the process ends
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("./regent " + String.join(" ", args) + " did not end within " + timeout);
        }
        String text = new String(output, StandardCharsets.UTF_8);
        System.out.println("---- ./regent " + String.join(" ", args) + " -> " + process.exitValue() + "\n" + text);
        return new Run(process.exitValue(), text);
    }

    private static void awaitLine(Path log, String line, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            if (text.contains(line)) {
                System.out.println(text);
                return;
            }
            if (!demo.isAlive()) {
                throw new AssertionError("the demo ended before it was ready:\n" + text);
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the demo was not ready within " + timeout + ":\n" + Files.readString(log));
    }

    private record Run(int exit, String output) {
    }

    /** Bit 2 (SIGINT) of the process's ignored-signal mask in /proc. */
    private static boolean ignoresSigint(long pid) throws java.io.IOException {
        String mask = Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status")).stream()
                .filter(line -> line.startsWith("SigIgn:")).findFirst().orElseThrow().substring(7).strip();
        return (new java.math.BigInteger(mask, 16).longValue() & 0x2) != 0;
    }
}
