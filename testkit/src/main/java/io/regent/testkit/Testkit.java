package io.regent.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The per-JVM home of everything the testkit starts: one run directory, a shutdown hook, and a
 * reaper process.
 *
 * <p>Clean-up happens on three levels. {@code close()} of a broker or cluster stops its processes
 * and deletes its directories. The shutdown hook closes whatever is still open when the JVM exits
 * normally or is interrupted (SIGINT/SIGTERM). And the reaper - a tiny {@code sh} in its own
 * session whose stdin is a pipe from this JVM - notices when that pipe closes, which happens
 * however the JVM dies (even SIGKILL), and kills every process whose working directory is inside
 * the run directory before deleting it.
 */
public final class Testkit {

    private static final java.security.SecureRandom SECRETS = new java.security.SecureRandom();

    private static final Logger LOG = Logger.getLogger(Testkit.class.getName());

    /** Kills registered servers, then every live process working inside the run directory. */
    private static final String REAPER_SCRIPT = """
            registry="$1"; run_dir="$2"
            cat > /dev/null
            if [ -f "$registry" ]; then
              while read -r pid; do [ -n "$pid" ] && kill -STOP "$pid" 2>/dev/null; done < "$registry"
            fi
            sweep() {
              for proc in /proc/[0-9]*; do
                cwd=$(readlink "$proc/cwd" 2>/dev/null) || continue
                case "$cwd" in "$run_dir"|"$run_dir"/*) kill -KILL "${proc#/proc/}" 2>/dev/null ;; esac
              done
            }
            sweep; sleep 0.2; sweep; sleep 0.2; sweep
            [ "$3" = keep ] && exit 0
            # a killed PostgreSQL leaves its System V interlock segment (postmaster.pid line 7: key id);
            # only a restart in the same data directory would remove it (see postgres.CrashLeftovers)
            find "$run_dir" -name postmaster.pid 2>/dev/null | while read -r pidfile; do
              set -- $(sed -n 7p "$pidfile")
              [ $# -eq 2 ] && awk -v k="$1" -v i="$2" '$1 == k && $2 == i && $7 == 0 { found = 1 }
                END { exit !found }' /proc/sysvipc/shm && ipcrm -m "$2"
            done
            rm -rf -- "$run_dir"
            """;

    /**
     * System property naming a home that outlives the JVM (the local demo): the run directory is
     * exactly that folder, its files are kept at exit and reused by the next run, server logs go to
     * {@code logs/} in it; processes are still stopped on every level. One JVM at a time may use it.
     */
    public static final String HOME = "regent.testkit.home";
    /** In a {@link #HOME}: the PID of the JVM holding it. */
    private static final String OWNER = "owner.pid";

    private static Testkit instance;

    private final boolean persistent;
    private final Path runDirectory;
    private final Path registry;
    private final Process reaper;
    private final OutputStream reaperPipe;
    private final Set<Long> registeredPids = new LinkedHashSet<>();
    private final Deque<AutoCloseable> open = new ConcurrentLinkedDeque<>();
    private final Deque<AutoCloseable> openFirst = new ConcurrentLinkedDeque<>();

    private Testkit(Path base, Path home) throws IOException {
        persistent = home != null;
        if (persistent) {
            Files.createDirectories(home);
            // the reaper and the sweeps match processes' working directories, which the kernel gives without links
            runDirectory = home.toRealPath();
            base = runDirectory.getParent();
            makeTraversable(runDirectory);
            claim(runDirectory);
        } else {
            Files.createDirectories(base);
            makeTraversable(base);
            removeLeftoversOfDeadRuns(base);
            runDirectory = base.resolve(ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString()
                    .substring(0, 8));
            Files.createDirectories(runDirectory);
            makeTraversable(runDirectory);
        }
        registry = runDirectory.resolve("pids");
        Files.writeString(registry, "");
        reaper = new ProcessBuilder("setsid", "sh", "-c", REAPER_SCRIPT, "regent-reaper",
                registry.toString(), runDirectory.toString(), persistent ? "keep" : "delete")
                .directory(base.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        reaperPipe = reaper.getOutputStream();
        Runtime.getRuntime().addShutdownHook(new Thread(this::shutdown, "regent-testkit-shutdown"));
    }

    /** The testkit of this JVM, created on first use. */
    public static synchronized Testkit get() {
        if (instance == null) {
            Path base = Path.of(System.getProperty("regent.testkit.dir",
                    Path.of(System.getProperty("java.io.tmpdir"), "regent-testkit").toString()));
            String home = System.getProperty(HOME);
            try {
                instance = new Testkit(base.toAbsolutePath().normalize(),
                        home == null ? null : Path.of(home).toAbsolutePath().normalize());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot set up the testkit run directory under " + base, e);
            }
        }
        return instance;
    }

    /** Where every server of this JVM keeps its files; deleted when the JVM ends. */
    public Path runDirectory() {
        return runDirectory;
    }

    /** PID of the reaper process (tests use it to prove clean-up). */
    public long reaperPid() {
        return reaper.pid();
    }

    /** Whether files outlive this JVM ({@link #HOME}). */
    public boolean persistent() {
        return persistent;
    }

    /**
     * A new, empty directory inside the run directory; with a {@link #HOME}, the folder named
     * {@code prefix} in it, as the previous run left it.
     */
    public Path newDirectory(String prefix) {
        if (persistent) {
            try {
                Path dir = Files.createDirectories(runDirectory.resolve(prefix));
                makeTraversable(dir);
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + prefix + " under " + runDirectory, e);
            }
        }
        try {
            Path dir = Files.createTempDirectory(runDirectory, prefix + "-");
            makeTraversable(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory under " + runDirectory, e);
        }
    }

    /** Where a server logs: {@code defaultFile}, or {@code logs/<name>.log} of the {@link #HOME}. */
    public Path logFile(Path defaultFile, String name) {
        if (!persistent) {
            return defaultFile;
        }
        try {
            return Files.createDirectories(runDirectory.resolve("logs")).resolve(name + ".log");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + runDirectory.resolve("logs"), e);
        }
    }

    /** Deletes a server's files when it is closed, unless they are to outlive the JVM. */
    public void discard(Path dir) {
        if (!persistent) {
            deleteRecursively(dir);
        }
    }

    /**
     * Takes the home for this JVM: refuses while another live JVM holds it, and stops whatever a
     * previous holder that died left running in it.
     */
    private static void claim(Path home) throws IOException {
        Optional<ProcessHandle> holder = holderOf(home).filter(p -> p.pid() != ProcessHandle.current().pid());
        if (holder.isPresent()) {
            throw new TestkitException(home + " is in use by process " + holder.get().pid() + " (a running demo?): "
                    + "stop it first, or use another folder");
        }
        killEverythingUnder(home);
        Files.writeString(home.resolve(OWNER), ProcessHandle.current().pid() + "\n", StandardCharsets.US_ASCII);
    }

    /** The live JVM that holds {@code home} (see {@link #HOME}), if one does. */
    public static Optional<ProcessHandle> holderOf(Path home) {
        try {
            String text = Files.readString(home.resolve(OWNER)).strip();
            if (text.isEmpty() || !text.chars().allMatch(Character::isDigit)) {
                return Optional.empty();
            }
            // a PID the system gave to another program since is no holder
            return ProcessHandle.of(Long.parseLong(text)).filter(ProcessHandle::isAlive)
                    .filter(p -> p.info().command().orElse("").endsWith("java"));
        } catch (IOException e) {
            return Optional.empty(); // no owner file: never held
        }
    }

    /** Records a server's PID so the reaper freezes it first if this JVM dies. */
    public synchronized void registerPid(long pid) {
        registeredPids.add(pid);
        writeRegistry();
    }

    public synchronized void unregisterPid(long pid) {
        registeredPids.remove(pid);
        writeRegistry();
    }

    /** Closes {@code resource} at JVM exit if nobody closed it before. */
    public void track(AutoCloseable resource) {
        open.push(resource);
    }

    /**
     * Closes {@code resource} at JVM exit before anything {@link #track tracked}: for a whole stack
     * that stops its parts in its own order (the local demo).
     */
    public void trackFirst(AutoCloseable resource) {
        openFirst.push(resource);
    }

    public void untrack(AutoCloseable resource) {
        open.remove(resource);
        openFirst.remove(resource);
    }

    /**
     * Deletes a directory tree; files owned by other users are fine when root. A link (the demo's home when
     * its data lives outside the clone) goes with the tree it points to.
     */
    public static void deleteRecursively(Path dir) {
        if (Files.isSymbolicLink(dir)) {
            try {
                Path target = ProcessTable.realPath(dir);
                Files.delete(dir);
                deleteRecursively(target);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + dir, e);
            }
            return;
        }
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    /** SIGKILLs every live process working under {@code dir} until none is left (at most ~5 s). */
    public static void killEverythingUnder(Path dir) {
        for (int round = 0; round < 50; round++) {
            List<ProcessTable.Entry> live = ProcessTable.liveUnder(dir);
            if (live.isEmpty()) {
                return;
            }
            Signals.send("KILL", live.stream().map(ProcessTable.Entry::pid).toList());
            sleep(100);
        }
        throw new TestkitException("processes under " + dir + " survive SIGKILL: " + ProcessTable.liveUnder(dir));
    }

    private void shutdown() {
        List<AutoCloseable> resources = new ArrayList<>(openFirst);
        resources.addAll(open);
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "closing " + resource + " at exit failed", e);
            }
        }
        try {
            reaperPipe.close(); // the reaper sweeps what is left and deletes the run directory
            reaper.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            LOG.log(Level.WARNING, "reaper did not finish", e);
        }
    }

    private void writeRegistry() {
        StringBuilder lines = new StringBuilder();
        registeredPids.forEach(pid -> lines.append(pid).append('\n'));
        try {
            Path tmp = registry.resolveSibling("pids.tmp");
            Files.writeString(tmp, lines.toString(), StandardCharsets.US_ASCII);
            Files.move(tmp, registry, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + registry, e);
        }
    }

    /** Run directories of JVMs that died before their reaper could finish (machine crash, kill -9 of both). */
    private static void removeLeftoversOfDeadRuns(Path base) throws IOException {
        try (DirectoryStream<Path> runs = Files.newDirectoryStream(base)) {
            for (Path run : runs) {
                String name = run.getFileName().toString();
                int dash = name.indexOf('-');
                if (dash <= 0 || !name.substring(0, dash).chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long ownerPid = Long.parseLong(name.substring(0, dash));
                if (ProcessHandle.of(ownerPid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                try {
                    killEverythingUnder(run);
                    deleteRecursively(run);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "cannot remove leftovers in " + run, e);
                }
            }
        }
    }

    private static void makeTraversable(Path dir) throws IOException {
        // servers running as another OS user must be able to reach their own directories below
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** A random secret for a test-only password or client secret: 36 hex digits from a SecureRandom. */
    public static String randomSecret() {
        byte[] bytes = new byte[18];
        SECRETS.nextBytes(bytes);
        return java.util.HexFormat.of().formatHex(bytes);
    }

    /** Sleeps, turning an interrupt into a {@link TestkitException} (with the flag kept). */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted", e);
        }
    }
}
