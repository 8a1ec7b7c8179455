package io.regent.testkit;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * The machine's programs the testkit runs, which Debian/Ubuntu package provides each, and the one place
 * that installs them: as root on a machine with {@code apt-get} it installs what is missing itself
 * ({@code apt-get update} once per JVM, then {@code apt-get install -y --no-install-recommends}), one JVM
 * at a time (a file lock), with apt's output in a log file; otherwise it fails with one line naming the
 * command to run. {@code -Dregent.testkit.install-packages=false} turns the installing off.
 */
public final class SystemPackages {

    /** Something the testkit runs, the Debian/Ubuntu package that provides it, and how to see it is there. */
    public record Need(String what, String debianPackage, BooleanSupplier present) {

        public static Need file(String path, String debianPackage) {
            return new Need(path, debianPackage, () -> Files.isExecutable(Path.of(path)));
        }

        public static Need onPath(String program, String debianPackage) {
            return new Need(program, debianPackage, () -> SystemPackages.onPath(program));
        }
    }

    public static final Need POSTGRESQL = new Need("PostgreSQL server binaries (postgres, initdb, pg_basebackup)",
            "postgresql", () -> io.regent.testkit.postgres.PostgresBinaries.installed().isPresent());
    public static final Need MARIADB_SERVER = Need.file("/usr/sbin/mariadbd", "mariadb-server");
    public static final Need MARIADB_INSTALL_DB = Need.file("/usr/bin/mariadb-install-db", "mariadb-server");
    public static final Need HAPROXY = Need.file("/usr/sbin/haproxy", "haproxy");
    public static final Need SOCAT = Need.onPath("socat", "socat");
    public static final Need IP = Need.onPath("ip", "iproute2");
    public static final Need LIBFAKETIME = new Need("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
            "libfaketime", () -> Files.isRegularFile(Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")));
    public static final Need CHROMIUM = Need.file("/usr/bin/chromium", "chromium");
    public static final Need CHROMEDRIVER = new Need("chromedriver", "chromium-driver",
            () -> Files.isExecutable(Path.of("/usr/bin/chromedriver"))
                    || Files.isExecutable(Path.of("/usr/lib/chromium/chromedriver")));
    /** Without them Chromium's screenshots show boxes instead of text. */
    public static final Need LIBERATION_FONTS = new Need("/usr/share/fonts/truetype/liberation", "fonts-liberation",
            () -> Files.isDirectory(Path.of("/usr/share/fonts/truetype/liberation")));
    public static final Need TAR = Need.onPath("tar", "tar");
    /** deploy/kafka/make-certs.sh: the compose stack's Kafka certificates. */
    public static final Need OPENSSL = Need.onPath("openssl", "openssl");

    public static final List<Need> BROWSER = List.of(CHROMIUM, CHROMEDRIVER, LIBERATION_FONTS);

    private static final Object IN_THIS_JVM = new Object();
    private static final long INSTALL_TIMEOUT_MINUTES = 30;
    private static boolean updated;

    private final boolean root;
    private final boolean apt;
    private final boolean installAllowed;
    private final Path lockFile;
    private final Path logFile;

    public SystemPackages(boolean root, boolean apt, boolean installAllowed, Path lockFile, Path logFile) {
        this.root = root;
        this.apt = apt;
        this.installAllowed = installAllowed;
        this.lockFile = lockFile;
        this.logFile = logFile;
    }

    /** This machine: installs as root with apt-get, the lock and the log in {@code java.io.tmpdir}. */
    public static SystemPackages machine() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        return new SystemPackages(OsUser.jvmIsRoot(), onPath("apt-get") && Files.exists(Path.of("/etc/debian_version")),
                !"false".equals(System.getProperty("regent.testkit.install-packages")),
                tmp.resolve("regent-apt-get.lock"), tmp.resolve("regent-apt-get.log"));
    }

    /** Makes sure every one of {@code needs} is there: installs what is missing, or says in one line how to. */
    public void ensure(List<Need> needs) {
        List<Need> missing = missing(needs);
        if (missing.isEmpty()) {
            return;
        }
        if (!root || !apt || !installAllowed) {
            throw new TestkitException(missingMessage(missing));
        }
        install(needs);
    }

    public void ensure(Need... needs) {
        ensure(List.of(needs));
    }

    /** The one line for a machine where the testkit does not install: what is missing and what to run. */
    String missingMessage(List<Need> missing) {
        String what = missing.stream().map(Need::what).collect(Collectors.joining(", "));
        String packages = String.join(" ", packagesOf(missing));
        if (!apt) {
            return "missing on this machine: " + what + ". Install them (the Debian/Ubuntu packages are: " + packages
                    + ")";
        }
        String command = "apt-get install -y --no-install-recommends " + packages;
        return "missing on this machine: " + what + ". Run: " + (root ? command : "sudo " + command);
    }

    static List<String> packagesOf(List<Need> needs) {
        Set<String> packages = new LinkedHashSet<>();
        needs.forEach(need -> packages.add(need.debianPackage()));
        return List.copyOf(packages);
    }

    static List<Need> missing(List<Need> needs) {
        return needs.stream().filter(need -> !need.present().getAsBoolean()).toList();
    }

    private void install(List<Need> needs) {
        // one installer per machine: concurrent JVMs (surefire forks, failsafe) would fight over dpkg's lock
        synchronized (IN_THIS_JVM) {
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = channel.lock()) {
                List<Need> missing = missing(needs); // another JVM may have installed them meanwhile
                if (missing.isEmpty()) {
                    return;
                }
                List<String> packages = packagesOf(missing);
                if (!updated) {
                    apt(List.of("update"), packages);
                    updated = true;
                }
                List<String> arguments = new ArrayList<>(List.of("install", "-y", "--no-install-recommends"));
                arguments.addAll(packages);
                apt(arguments, packages);
                List<Need> still = missing(needs);
                if (!still.isEmpty()) {
                    throw new TestkitException("apt-get installed " + String.join(" ", packages) + " but "
                            + still.stream().map(Need::what).collect(Collectors.joining(", "))
                            + " is still missing; apt-get's output is in " + logFile);
                }
            } catch (IOException e) {
                throw new TestkitException("cannot lock " + lockFile + " to install packages: " + e.getMessage(), e);
            }
        }
    }

    private void apt(List<String> arguments, List<String> packages) {
        List<String> command = new ArrayList<>(List.of("apt-get", "-q", "-o", "DPkg::Lock::Timeout=600"));
        command.addAll(arguments);
        System.err.println("regent testkit: installing " + String.join(" ", packages) + " (apt-get "
                + arguments.get(0) + ", output in " + logFile + ")");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
        try {
            Process process = builder.start();
            if (!process.waitFor(INSTALL_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new TestkitException("apt-get " + arguments.get(0) + " did not finish within "
                        + INSTALL_TIMEOUT_MINUTES + " min; its output is in " + logFile);
            }
            if (process.exitValue() != 0) {
                throw new TestkitException(String.join(" ", command) + " failed (exit " + process.exitValue()
                        + ") while installing " + String.join(" ", packages) + "; its output is in " + logFile);
            }
        } catch (IOException e) {
            throw new TestkitException("cannot run apt-get: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted while installing " + String.join(" ", packages), e);
        }
    }

    public static boolean onPath(String program) {
        // sbin too: a non-root PATH often lacks it, and ip lives there
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin") + ":/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
