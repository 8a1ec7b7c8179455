package io.regent.testkit.quarkus;

import io.regent.testkit.FreePorts;
import io.regent.testkit.ServerProcess;
import io.regent.testkit.Testkit;
import io.regent.testkit.TestkitException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A packaged Quarkus service ({@code target/quarkus-app/quarkus-run.jar}) run as its own process
 * on a free loopback port, as it runs in production: for tests that need several services or
 * several instances of one. Configuration goes in as system properties; secrets through the
 * environment (other users can read a command line).
 */
public final class QuarkusService implements AutoCloseable {

    /** System property with the services' JVM options; benchmarks set production-like ones. */
    public static final String JVM_OPTIONS = "regent.testkit.service-jvm-options";
    /** Small and quick to start (C1 only): right for tests, wrong for measuring throughput. */
    public static final String TEST_JVM_OPTIONS = "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";

    /** A property naming a loopback port: the service then listens there for a debugger ({@link io.regent.testkit.jvm.Debugger}). */
    public static final String DEBUG_PORT = "regent.testkit.debug-port";
    /**
     * Property: the name of the {@link io.regent.testkit.NetworkNamespace} to run the service in (it must expose
     * the service's port and reach what the service uses).
     */
    public static final String NETWORK_NAMESPACE = "regent.testkit.network-namespace";

    private final String name;
    private final ServerProcess process;
    private final int port;
    private final Integer debugPort;

    private QuarkusService(String name, ServerProcess process, int port, Integer debugPort) {
        this.name = name;
        this.process = process;
        this.port = port;
        this.debugPort = debugPort;
    }

    /**
     * Starts the service and waits until {@code /q/health/ready} answers 200.
     *
     * @param jar         the packaged application
     * @param properties  system properties ({@code quarkus.http.*} are set here)
     * @param environment environment variables, for secrets
     */
    public static QuarkusService start(String name, Path jar, Map<String, String> properties,
            Map<String, String> environment, Duration readyTimeout) {
        return start(name, jar, FreePorts.next(), properties, environment, readyTimeout);
    }

    /** The same on a port chosen beforehand (e.g. one that another server must know before this one starts). */
    public static QuarkusService start(String name, Path jar, int port, Map<String, String> properties,
            Map<String, String> environment, Duration readyTimeout) {
        if (!Files.isRegularFile(jar)) {
            throw new TestkitException(name + ": no packaged application at " + jar + " (run the package phase first)");
        }
        Path dir = Testkit.get().newDirectory(name);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        command.addAll(List.of(System.getProperty(JVM_OPTIONS, TEST_JVM_OPTIONS).strip().split("\\s+")));
        command.addAll(List.of("-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=" + port));
        Integer debugPort = properties.containsKey(DEBUG_PORT) ? Integer.valueOf(properties.get(DEBUG_PORT)) : null;
        if (debugPort != null) {
            command.add("-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:" + debugPort);
        }
        properties.forEach((key, value) -> {
            if (!key.equals(DEBUG_PORT) && !key.equals(NETWORK_NAMESPACE)) {
                command.add("-D" + key + "=" + value);
            }
        });
        command.add("-jar");
        command.add(jar.toString());
        if (properties.containsKey(NETWORK_NAMESPACE)) {
            command.addAll(0, List.of("ip", "netns", "exec", properties.get(NETWORK_NAMESPACE)));
        }
        ServerProcess process = ServerProcess.start(name, command, dir,
                Testkit.get().logFile(dir.resolve(name + ".log"), name), environment);
        QuarkusService service = new QuarkusService(name, process, port, debugPort);
        try {
            service.awaitReady(readyTimeout);
        } catch (RuntimeException e) {
            service.close();
            throw e;
        }
        return service;
    }

    private void awaitReady(Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new TestkitException(name + " exited while starting:\n" + process.logTail(40));
            }
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(url().resolve("/q/health/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TestkitException(name + ": interrupted while starting", e);
            }
            Testkit.sleep(200);
        }
        throw new TestkitException(name + " not ready within " + timeout + ":\n" + process.logTail(40));
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The loopback port a debugger can attach to, when the service was started with {@link #DEBUG_PORT}. */
    public int debugPort() {
        if (debugPort == null) {
            throw new TestkitException(name + " was started without a debug port (" + DEBUG_PORT + ")");
        }
        return debugPort;
    }

    public ServerProcess process() {
        return process;
    }

    /** SIGKILL: the crash case. */
    public void kill() {
        process.kill();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.stop("TERM", Duration.ofSeconds(15));
        }
    }

    @Override
    public String toString() {
        return name + " at " + url();
    }
}
