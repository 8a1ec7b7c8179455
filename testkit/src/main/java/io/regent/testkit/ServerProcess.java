package io.regent.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A server started as a child process: in its own session (so a terminal's Ctrl-C reaches only
 * the JVM, which then cleans up), with its working directory inside the run directory, its output
 * in a log file, and its PID registered with the reaper.
 */
public final class ServerProcess {

    private final String description;
    private final Process process;
    private final Path logFile;
    private final Path workingDirectory;

    private ServerProcess(String description, Process process, Path logFile, Path workingDirectory) {
        this.description = description;
        this.process = process;
        this.logFile = logFile;
        this.workingDirectory = workingDirectory;
    }

    /**
     * Starts {@code command} with {@code workingDirectory} as cwd, appending output to {@code logFile}.
     */
    public static ServerProcess start(String description, List<String> command, Path workingDirectory,
            Path logFile, Map<String, String> environment) {
        List<String> full = new ArrayList<>();
        full.add("setsid");
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full)
                .directory(workingDirectory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().putAll(environment);
        try {
            Process process = builder.start();
            Testkit.get().registerPid(process.pid());
            return new ServerProcess(description, process, logFile, workingDirectory);
        } catch (IOException e) {
            throw new TestkitException("cannot start " + description + ": " + e.getMessage()
                    + " (command: " + String.join(" ", full) + ")", e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path logFile() {
        return logFile;
    }

    /** The last lines of the log, for error messages. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log " + logFile + " unreadable: " + e.getMessage() + ")";
        }
    }

    /** Sends {@code signal} (e.g. {@code INT}, {@code TERM}) and waits for exit; SIGKILL after {@code timeout}. */
    public void stop(String signal, Duration timeout) {
        if (process.isAlive()) {
            Signals.send(signal, process.pid());
            if (!waitForExit(timeout)) {
                kill();
                return;
            }
        }
        reapLeftovers();
    }

    /** SIGKILL to the server and to every process working in its directory: a crash, not a shutdown. */
    public void kill() {
        if (process.isAlive()) {
            Signals.send("STOP", process.pid()); // no new children while we kill the existing ones
            killChildren();
            process.destroyForcibly();
            waitForExit(Duration.ofSeconds(10));
        }
        reapLeftovers();
    }

    /** SIGSTOP the server and its children: it keeps its sockets but answers nothing. */
    public void freeze() {
        Signals.send("STOP", process.pid());
        Signals.send("STOP", childPids());
    }

    /** SIGCONT what {@link #freeze()} stopped. */
    public void thaw() {
        Signals.send("CONT", childPids());
        Signals.send("CONT", process.pid());
    }

    /** True while the server process is stopped by a signal (state T). */
    public boolean isFrozen() {
        return ProcessTable.get(process.pid()).map(e -> e.state() == 'T').orElse(false);
    }

    public boolean waitForExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted while waiting for " + description + " to exit", e);
        }
    }

    private List<Long> childPids() {
        return ProcessTable.liveChildrenOf(process.pid()).stream().map(ProcessTable.Entry::pid).toList();
    }

    private void killChildren() {
        Signals.send("KILL", childPids());
    }

    private void reapLeftovers() {
        Testkit.killEverythingUnder(workingDirectory);
        SkewedClock.removeSharedMemoryOf(process.pid());
        Testkit.get().unregisterPid(process.pid());
    }

    @Override
    public String toString() {
        return description + " (pid " + process.pid() + ")";
    }
}
