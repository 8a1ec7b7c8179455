package io.regent.testkit;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * POSIX signals the JDK cannot send itself (SIGSTOP, SIGCONT, SIGINT), through the shell's built-in {@code kill}:
 * the {@code kill} program (procps) is missing on a minimal Debian, {@code sh} never is.
 */
public final class Signals {

    private Signals() {
    }

    public static void send(String signal, long pid) {
        send(signal, List.of(pid));
    }

    /**
     * Sends {@code signal} (e.g. {@code STOP}) to each pid; a pid that is already gone is ignored. A STOP returns
     * only once every process is stopped: {@code kill} returns when the signal is queued, and a process running
     * on another core stops a moment later - a test that acts "while frozen" must not act before.
     */
    public static void send(String signal, List<Long> pids) {
        sendOnly(signal, pids);
        if (signal.equals("STOP")) {
            awaitStopped(pids);
        }
    }

    private static void awaitStopped(List<Long> pids) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (pids.stream().anyMatch(pid -> ProcessTable.get(pid)
                .map(entry -> entry.state() != 'T' && entry.state() != 't' && entry.state() != 'Z').orElse(false))) {
            if (System.nanoTime() > deadline) {
                throw new TestkitException("kill -STOP " + pids + ": not every process stopped within 5 s");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TestkitException("interrupted while waiting for " + pids + " to stop", e);
            }
        }
    }

    private static void sendOnly(String signal, List<Long> pids) {
        if (pids.isEmpty()) {
            return;
        }
        List<String> command = new java.util.ArrayList<>(List.of("sh", "-c", "kill -" + signal + " \"$@\"", "kill"));
        pids.forEach(pid -> command.add(Long.toString(pid)));
        try {
            Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                throw new TestkitException("kill -" + signal + " " + pids + " did not return in 10 s");
            }
        } catch (IOException e) {
            throw new TestkitException("cannot run kill -" + signal + " " + pids, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted while sending " + signal, e);
        }
    }
}
