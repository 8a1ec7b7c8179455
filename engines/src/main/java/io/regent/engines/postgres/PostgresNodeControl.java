package io.regent.engines.postgres;

import io.regent.engines.EngineActionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Stops and starts the PostgreSQL server next to the agent with {@code pg_ctl}, as the data
 * directory's owner. The server is not a child of the agent: it outlives an agent restart.
 */
public final class PostgresNodeControl {

    /** {@code pg_ctl stop} modes. */
    public enum StopMode {
        /** Ends sessions, writes a shutdown checkpoint: a clean stop, no crash recovery on start. */
        FAST,
        /** Exits at once: the next start runs crash recovery. */
        IMMEDIATE
    }

    /** Whether the node's postmaster is alive, from {@code postmaster.pid} (an exited, unreaped one is not). */
    public boolean isRunning(LocalNode node) {
        return postmasterPid(node).filter(pid -> !isZombie(pid)).flatMap(ProcessHandle::of)
                .map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * SIGKILL of the postmaster and every process it started - the one fence that lands on a server that
     * does not answer (stopped, hung): a signal a stopped process cannot ignore, so nothing it queued is
     * acknowledged when it would wake. Returns how many processes were killed (0: it was not running).
     */
    public int kill(LocalNode node) {
        Optional<ProcessHandle> postmaster = postmasterPid(node).flatMap(ProcessHandle::of)
                .filter(ProcessHandle::isAlive);
        if (postmaster.isEmpty()) {
            return 0;
        }
        // the children first: once their parent is gone they would no longer be found as its descendants
        List<ProcessHandle> processes = new java.util.ArrayList<>(postmaster.get().descendants().toList());
        processes.add(postmaster.get());
        int killed = 0;
        for (ProcessHandle process : processes) {
            if (process.destroyForcibly()) {
                killed++;
            }
        }
        return killed;
    }

    /** Stops the server and waits until it is down; does nothing when it is not running. */
    public void stop(LocalNode node, StopMode mode, Duration timeout) {
        if (!isRunning(node)) {
            return;
        }
        LocalCommands.run(node, List.of(pgCtl(node), "stop", "-D", node.dataDirectory().toString(), "-m",
                mode.name().toLowerCase(Locale.ROOT), "-w", "-t", seconds(timeout)), Map.of(), timeout.plusSeconds(5),
                "pg_ctl stop (" + mode.name().toLowerCase(Locale.ROOT) + ") of " + node.name());
    }

    /**
     * Starts the server and waits until it accepts connections; does nothing when it already runs.
     * Its output is appended to {@code logFile}.
     */
    public void start(LocalNode node, Path logFile, Duration timeout) {
        if (isRunning(node)) {
            return;
        }
        if (!Files.isRegularFile(node.dataDirectory().resolve("PG_VERSION"))) {
            throw new EngineActionException("cannot start " + node.name() + ": " + node.dataDirectory()
                    + " holds no PostgreSQL data directory (rebuild it first)");
        }
        Optional<Long> unreaped = postmasterPid(node).filter(PostgresNodeControl::isZombie);
        if (unreaped.isPresent()) {
            // PostgreSQL takes a lock file whose PID still exists for a running server and refuses to start
            throw new EngineActionException("cannot start " + node.name() + ": its postmaster.pid names PID "
                    + unreaped.get() + ", a postmaster that exited but was never reaped (a zombie), and PostgreSQL "
                    + "will not start while that PID exists. Whatever adopts orphaned processes here does not reap "
                    + "them (in a container: PID 1) - run the agent under an init (docker run --init, compose "
                    + "init: true, or a shell as PID 1)");
        }
        LocalCommands.run(node, List.of(pgCtl(node), "start", "-D", node.dataDirectory().toString(), "-l",
                logFile.toString(), "-w", "-t", seconds(timeout)), Map.of(), timeout.plusSeconds(5),
                "pg_ctl start of " + node.name() + " (log " + logFile + ")");
    }

    private static Optional<Long> postmasterPid(LocalNode node) {
        Path pidFile = node.dataDirectory().resolve("postmaster.pid");
        try {
            if (!Files.isRegularFile(pidFile)) {
                return Optional.empty();
            }
            List<String> lines = Files.readAllLines(pidFile);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty(); // being written or removed right now: not a running server yet
        }
    }

    /**
     * Whether {@code pid} exited and waits to be reaped by its parent (state Z in {@code /proc/<pid>/stat}): the
     * agent starts the server with pg_ctl, so a postmaster that dies is reaped by whatever adopted it, not by us.
     */
    static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int end = stat.lastIndexOf(')'); // the command name may hold spaces and parentheses
            return end > 0 && stat.length() > end + 2 && stat.charAt(end + 2) == 'Z';
        } catch (IOException e) {
            return false; // gone (or no /proc): not a zombie
        }
    }

    private static String pgCtl(LocalNode node) {
        return node.binDirectory().resolve("pg_ctl").toString();
    }

    private static String seconds(Duration timeout) {
        return Long.toString(Math.max(1, timeout.toSeconds()));
    }
}
