package io.regent.testkit;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** POSIX signals the JDK cannot send itself (SIGSTOP, SIGCONT, SIGINT), through {@code kill}. */
public final class Signals {

    private Signals() {
    }

    public static void send(String signal, long pid) {
        send(signal, List.of(pid));
    }

    /** Sends {@code signal} (e.g. {@code STOP}) to each pid; a pid that is already gone is ignored. */
    public static void send(String signal, List<Long> pids) {
        if (pids.isEmpty()) {
            return;
        }
        List<String> command = new java.util.ArrayList<>(List.of("kill", "-" + signal));
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
