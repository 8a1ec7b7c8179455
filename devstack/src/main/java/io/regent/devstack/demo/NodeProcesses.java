package io.regent.devstack.demo;

import io.regent.testkit.Signals;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Signals to a PostgreSQL server and all its processes, found by its data directory's
 * {@code postmaster.pid} - whoever started it (the testkit, or a node agent with {@code pg_ctl}).
 */
public final class NodeProcesses {

    private NodeProcesses() {
    }

    /** The postmaster's PID and its descendants' (postmaster first); empty when no server runs. */
    public static List<Long> of(Path dataDirectory) {
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        List<Long> pids = new ArrayList<>();
        try {
            long postmaster = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
            ProcessHandle.of(postmaster).filter(ProcessHandle::isAlive).ifPresent(p -> {
                pids.add(p.pid());
                p.descendants().forEach(d -> pids.add(d.pid()));
            });
        } catch (IOException | RuntimeException e) {
            // no server (or one starting that has not written its PID yet)
        }
        return pids;
    }

    /** Sends {@code signal} (KILL, STOP, CONT) to the server and all its processes at once; returns them. */
    public static List<Long> signal(Path dataDirectory, String signal) {
        List<Long> pids = of(dataDirectory);
        if (!pids.isEmpty()) {
            Signals.send(signal, pids);
        }
        return pids;
    }
}
