package io.regent.testkit.docker;

import io.regent.testkit.OsUser;
import io.regent.testkit.SystemPackages;
import io.regent.testkit.SystemPackages.Need;
import io.regent.testkit.Testkit;
import io.regent.testkit.TestkitException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Docker engine for the deployment tests: the one already running on the default socket, or - as root on a
 * machine without one - Debian's {@code dockerd} started here, its images and build cache kept in
 * {@code <java.io.tmpdir>/regent-docker} so that the next run builds from cache, and stopped again by
 * {@link #close()} (only when this started it; by its PID). Installs docker.io, docker-compose and
 * debootstrap when they are missing (as {@link SystemPackages} does for the servers).
 */
public final class DockerEngine implements AutoCloseable {

    public static final Need DOCKERD = Need.file("/usr/sbin/dockerd", "docker.io");
    public static final Need COMPOSE = Need.onPath("docker-compose", "docker-compose");
    public static final Need DEBOOTSTRAP = Need.file("/usr/sbin/debootstrap", "debootstrap");
    /** The daemon's socket: the default one, which Testcontainers and the docker CLI use without settings. */
    public static final String SOCKET = "/var/run/docker.sock";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Process daemon;
    private final Path execRoot;
    private final String version;

    private DockerEngine(Process daemon, Path execRoot, String version) {
        this.daemon = daemon;
        this.execRoot = execRoot;
        this.version = version;
    }

    /** The running engine, or one started here; what is missing is installed or named in one line. */
    public static DockerEngine ensure() {
        SystemPackages.machine().ensure(List.of(DOCKERD, COMPOSE, DEBOOTSTRAP));
        String running = serverVersion();
        if (running != null) {
            return new DockerEngine(null, null, running);
        }
        if (!OsUser.jvmIsRoot()) {
            throw new TestkitException("no Docker engine answers on " + SOCKET + " and only root may start one: "
                    + "run sudo dockerd (or start the docker service), then run the tests again");
        }
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        try {
            Path dataRoot = Files.createDirectories(tmp.resolve("regent-docker"));
            Path execRoot = Files.createTempDirectory("regent-docker-exec");
            Path log = tmp.resolve("regent-dockerd.log");
            List<String> command = new ArrayList<>(List.of("/usr/sbin/dockerd", "--data-root", dataRoot.toString(),
                    "--exec-root", execRoot.toString(), "--pidfile", execRoot.resolve("dockerd.pid").toString(),
                    "-H", "unix://" + SOCKET));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                String version = serverVersion();
                if (version != null) {
                    return new DockerEngine(process, execRoot, version);
                }
                if (!process.isAlive()) {
                    break;
                }
                Testkit.sleep(500);
            }
            process.destroyForcibly();
            throw new TestkitException("dockerd did not answer within " + START_TIMEOUT.toSeconds() + " s; see " + log);
        } catch (IOException e) {
            throw new TestkitException("cannot start dockerd: " + e.getMessage(), e);
        }
    }

    /** The daemon's version, e.g. 20.10.24. */
    public String version() {
        return version;
    }

    /** Whether this engine was started by the testkit (and is stopped by {@link #close()}). */
    public boolean startedHere() {
        return daemon != null;
    }

    @Override
    public void close() {
        if (daemon == null) {
            return;
        }
        daemon.destroy(); // SIGTERM: dockerd stops its containers and unmounts
        try {
            if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
                daemon.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Testkit.deleteRecursively(execRoot);
    }

    /** {@code docker version}'s server version, or null when no daemon answers. */
    static String serverVersion() {
        if (!SystemPackages.onPath("docker")) {
            return null;
        }
        try {
            Process process = new ProcessBuilder("docker", "-H", "unix://" + SOCKET, "version", "--format",
                    "{{.Server.Version}}").redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return null;
            }
            String text = new String(output, StandardCharsets.UTF_8).trim();
            return process.exitValue() == 0 && !text.isEmpty() ? text : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
