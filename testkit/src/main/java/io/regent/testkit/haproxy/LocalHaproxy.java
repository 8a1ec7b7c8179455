package io.regent.testkit.haproxy;

import io.regent.testkit.FreePorts;
import io.regent.testkit.ServerProcess;
import io.regent.testkit.Testkit;
import io.regent.testkit.SystemPackages;
import io.regent.testkit.TestkitException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Debian's HAProxy in front of several replicas of one HTTP service, as a Kubernetes Service or a load
 * balancer puts them behind one address: every request goes to the next ready replica (round robin,
 * one request per connection to the backend), a replica whose {@code /q/health/ready} fails is left
 * out, and a connection a dead replica refuses is tried on another.
 */
public final class LocalHaproxy implements AutoCloseable {

    private static final Path BINARY = Path.of(SystemPackages.HAPROXY.what());

    private final ServerProcess process;
    private final int port;

    private LocalHaproxy(ServerProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts it on a free loopback port in front of the services at {@code backends} (host:port). */
    public static LocalHaproxy start(String name, List<URI> backends) {
        return start(name, FreePorts.next(), backends);
    }

    /** The same on loopback port {@code port}. */
    public static LocalHaproxy start(String name, int port, List<URI> backends) {
        StringBuilder config = new StringBuilder("""
                global
                    maxconn 512
                defaults
                    mode http
                    timeout connect 2s
                    timeout client 60s
                    timeout server 60s
                    option http-server-close
                    retries 2
                    option redispatch
                frontend front
                """);
        config.append("    bind 127.0.0.1:").append(port).append('\n');
        config.append("""
                    default_backend replicas
                backend replicas
                    balance roundrobin
                    option httpchk GET /q/health/ready
                """);
        for (int i = 0; i < backends.size(); i++) {
            URI backend = backends.get(i);
            config.append("    server r").append(i + 1).append(' ').append(backend.getHost()).append(':')
                    .append(backend.getPort()).append(" check inter 500ms fall 2 rise 1\n");
        }
        return startWithConfig(name, config.toString(), port);
    }

    /**
     * HAProxy with a configuration of the caller's ({@code config}: the whole file, binding loopback ports only),
     * listening on {@code port} once started - e.g. TCP routing of database traffic by the node agents' checks.
     */
    public static LocalHaproxy startWithConfig(String name, String config, int port) {
        SystemPackages.machine().ensure(SystemPackages.HAPROXY);
        Path dir = Testkit.get().newDirectory("haproxy-" + name);
        Path file = dir.resolve("haproxy.cfg");
        try {
            Files.writeString(file, config);
        } catch (IOException e) {
            throw new TestkitException("cannot write " + file, e);
        }
        ServerProcess process = ServerProcess.start("haproxy " + name, List.of(BINARY.toString(), "-db", "-f",
                file.toString()), dir, Testkit.get().logFile(dir.resolve("haproxy.log"), "haproxy-" + name), Map.of());
        LocalHaproxy haproxy = new LocalHaproxy(process, port);
        haproxy.awaitListening(Duration.ofSeconds(10));
        return haproxy;
    }

    /** The last lines HAProxy wrote (its health-check changes among them). */
    public String logTail(int lines) {
        return process.logTail(lines);
    }

    private void awaitListening(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new TestkitException("HAProxy exited while starting:\n" + process.logTail(20));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                Testkit.sleep(50);
            }
        }
        throw new TestkitException("HAProxy not listening on " + port + " within " + timeout);
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    @Override
    public void close() {
        process.stop("TERM", Duration.ofSeconds(5));
    }
}
