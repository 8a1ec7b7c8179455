package io.regent.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The environment that runs one process with its wall clock shifted, by Debian's libfaketime (package
 * {@code libfaketime}, installed when missing). Every clock of the process moves by the same constant, so
 * timeouts and sleeps keep their length - as on a machine whose time is simply set wrong. (libfaketime's
 * {@code FAKETIME_DONT_FAKE_MONOTONIC} is not used: with it, HotSpot's timed waits return at once.)
 * libfaketime leaves a shared-memory segment and a semaphore named after the process in {@code /dev/shm};
 * {@link ServerProcess} removes them when the process ends.
 */
public final class SkewedClock {

    private static final Path LIBRARY = Path.of(SystemPackages.LIBFAKETIME.what());

    private SkewedClock() {
    }

    /** Environment variables for a process whose clock runs {@code aheadMillis} ahead (negative: behind). */
    public static Map<String, String> ahead(long aheadMillis) {
        SystemPackages.machine().ensure(SystemPackages.LIBFAKETIME);
        String offset = (aheadMillis >= 0 ? "+" : "-") + String.format(java.util.Locale.ROOT, "%.3f",
                Math.abs(aheadMillis) / 1000.0);
        return Map.of("LD_PRELOAD", LIBRARY.toString(), "FAKETIME", offset);
    }

    /** Removes what libfaketime left in {@code /dev/shm} for the process {@code pid} (nothing if never skewed). */
    static void removeSharedMemoryOf(long pid) {
        for (String name : new String[] {"faketime_shm_" + pid, "sem.faketime_sem_" + pid}) {
            try {
                Files.deleteIfExists(Path.of("/dev/shm", name));
            } catch (java.io.IOException e) {
                // best effort: an 8-byte segment, and the next process with this PID recreates it
            }
        }
    }
}
