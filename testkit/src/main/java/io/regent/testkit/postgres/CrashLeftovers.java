package io.regent.testkit.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * What a PostgreSQL server killed with SIGKILL leaves outside its data directory: the small System V
 * interlock segment ({@code postmaster.pid} line 7: key and id). A restart on the same data directory
 * removes it; a data directory that is deleted never restarts, and every leaked segment counts against
 * the kernel's limit ({@code kernel.shmmni}, 4096 by default) - past it no PostgreSQL starts on the
 * machine. (The dynamic shared memory segments live in the data directory: the testkit sets
 * {@code dynamic_shared_memory_type = mmap}.)
 */
final class CrashLeftovers {

    private static final Logger LOG = Logger.getLogger(CrashLeftovers.class.getName());
    private static final Path SEGMENTS = Path.of("/proc/sysvipc/shm");

    private CrashLeftovers() {
    }

    /**
     * Removes the interlock segment a dead server of {@code dataDirectory} left, if it is still there
     * with nobody attached. Call only once every process of that server is gone.
     */
    static void release(Path dataDirectory) {
        Optional<long[]> keyAndId = interlockSegment(dataDirectory.resolve("postmaster.pid"));
        if (keyAndId.isEmpty() || !unattached(keyAndId.get()[0], keyAndId.get()[1])) {
            return; // a clean shutdown removed the file, or the segment is gone or still in use
        }
        long id = keyAndId.get()[1];
        try {
            Process ipcrm = new ProcessBuilder("ipcrm", "-m", Long.toString(id)).redirectErrorStream(true).start();
            if (!ipcrm.waitFor(10, TimeUnit.SECONDS) || ipcrm.exitValue() != 0) {
                LOG.warning("cannot remove shared memory segment " + id + " of " + dataDirectory + ": "
                        + new String(ipcrm.getInputStream().readNBytes(500)).strip());
            }
        } catch (IOException e) {
            LOG.warning("cannot run ipcrm for " + dataDirectory + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Key and id from {@code postmaster.pid}, whose seventh line reads {@code "  5439001     32768"}. */
    private static Optional<long[]> interlockSegment(Path pidFile) {
        try {
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.size() < 7) {
                return Optional.empty(); // the server died before it created the segment
            }
            String[] fields = lines.get(6).strip().split("\\s+");
            if (fields.length != 2) {
                return Optional.empty();
            }
            return Optional.of(new long[] {Long.parseLong(fields[0]), Long.parseLong(fields[1])});
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Whether the kernel holds segment {@code id} under {@code key} with no process attached. */
    private static boolean unattached(long key, long id) {
        try {
            // columns: key shmid perms size cpid lpid nattch ...
            return Files.readAllLines(SEGMENTS).stream().skip(1).map(row -> row.strip().split("\\s+"))
                    .anyMatch(f -> f.length > 6 && f[0].equals(Long.toString(key)) && f[1].equals(Long.toString(id))
                            && f[6].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }
}
