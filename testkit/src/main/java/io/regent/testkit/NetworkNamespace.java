package io.regent.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A machine of its own on the network, for partitions: a Linux network namespace joined to this one by a
 * veth pair (10.231.N.1 here, 10.231.N.2 inside). Servers started inside it ({@link #wrap}) keep the
 * addresses everyone knows them by, because socat relays carry chosen ports across the pair: a port
 * {@link #expose exposed} listens on 127.0.0.1 here and reaches 127.0.0.1 inside; a port {@link #reach
 * reached} listens on 127.0.0.1 inside and reaches 127.0.0.1 here. So a PostgreSQL server and its node
 * agent inside talk to each other over the namespace's own loopback, and to everything else only across
 * the pair.
 *
 * <p>{@link #cut()} partitions it the way a failed switch does: both ends get a neighbour entry with a MAC
 * address nobody has, so every frame is dropped silently - no reset, no "unreachable", established
 * connections simply stall (this kernel has neither {@code sch_netem} nor tc classifiers, and iptables is not
 * needed). {@link #heal()} puts the real neighbours back. Needs root ({@code ip}, {@code socat}).
 *
 * <p>Closing it ends its relays and deletes the namespace with its end of the pair; every process started in
 * it must be ended first. Names carry this JVM's PID: namespaces of a JVM that died are deleted on the next
 * {@link #create}.
 */
public final class NetworkNamespace implements AutoCloseable {

    private static final String PREFIX = "regent-";
    private static final String UNKNOWN_MAC = "02:00:00:00:de:ad";

    private final String name;
    private final String hostInterface;
    private final String innerInterface;
    private final String hostAddress;
    private final String innerAddress;
    private final Path directory;
    private final List<ServerProcess> relays = new ArrayList<>();
    private final java.util.Set<Integer> exposed = new java.util.HashSet<>();
    private final java.util.Set<Integer> reached = new java.util.HashSet<>();
    private boolean cut;

    private NetworkNamespace(String name, int subnet, Path directory) {
        this.name = name;
        int id = ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
        this.hostInterface = "rgh" + id;
        this.innerInterface = "rgn" + id;
        this.hostAddress = "10.231." + subnet + ".1";
        this.innerAddress = "10.231." + subnet + ".2";
        this.directory = directory;
    }

    /** A new namespace joined to this one, with nothing relayed yet. */
    public static NetworkNamespace create(String label) {
        SystemPackages.machine().ensure(SystemPackages.IP, SystemPackages.SOCAT);
        removeLeftoversOfDeadJvms();
        long pid = ProcessHandle.current().pid();
        String name = PREFIX + pid + "-" + label + "-" + ThreadLocalRandom.current().nextInt(1_000, 10_000);
        int subnet = freeSubnet();
        NetworkNamespace ns = new NetworkNamespace(name, subnet, Testkit.get().newDirectory("netns-" + label));
        try {
            ns.setUp();
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    private void setUp() {
        ip("netns", "add", name);
        ip("link", "add", hostInterface, "type", "veth", "peer", "name", innerInterface);
        ip("link", "set", innerInterface, "netns", name);
        ip("addr", "add", hostAddress + "/30", "dev", hostInterface);
        ip("link", "set", hostInterface, "up");
        inside("ip", "addr", "add", innerAddress + "/30", "dev", innerInterface);
        inside("ip", "link", "set", innerInterface, "up");
        inside("ip", "link", "set", "lo", "up");
    }

    public String name() {
        return name;
    }

    /** {@code command}, run inside the namespace (prefix it with this before any switch of user). */
    public List<String> wrap(List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("ip", "netns", "exec", name));
        wrapped.addAll(command);
        return wrapped;
    }

    /**
     * Makes 127.0.0.1:{@code port} inside reachable as 127.0.0.1:{@code port} here (a server that runs inside).
     * Exposing a port again changes nothing.
     */
    public synchronized NetworkNamespace expose(int port) {
        if (!exposed.add(port)) {
            return this;
        }
        relay("expose-" + port, List.of(), "TCP-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,fork",
                "TCP:" + innerAddress + ":" + port);
        relay("expose-" + port + "-inside", null, "TCP-LISTEN:" + port + ",bind=" + innerAddress + ",reuseaddr,fork",
                "TCP:127.0.0.1:" + port);
        return this;
    }

    /**
     * Makes 127.0.0.1:{@code port} here reachable as 127.0.0.1:{@code port} inside (a server a process inside uses).
     * Reaching a port again changes nothing.
     */
    public synchronized NetworkNamespace reach(int port) {
        if (!reached.add(port)) {
            return this;
        }
        relay("reach-" + port, List.of(), "TCP-LISTEN:" + port + ",bind=" + hostAddress + ",reuseaddr,fork",
                "TCP:127.0.0.1:" + port);
        relay("reach-" + port + "-inside", null, "TCP-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,fork",
                "TCP:" + hostAddress + ":" + port);
        return this;
    }

    /** Every frame between the namespace and this side dropped silently, in both directions. */
    public synchronized void cut() {
        ip("neigh", "replace", innerAddress, "lladdr", UNKNOWN_MAC, "dev", hostInterface, "nud", "permanent");
        inside("ip", "neigh", "replace", hostAddress, "lladdr", UNKNOWN_MAC, "dev", innerInterface, "nud", "permanent");
        cut = true;
    }

    /** The namespace joined again: established connections resume where their retransmissions still run. */
    public synchronized void heal() {
        ip("neigh", "del", innerAddress, "dev", hostInterface);
        inside("ip", "neigh", "del", hostAddress, "dev", innerInterface);
        cut = false;
    }

    public synchronized boolean isCut() {
        return cut;
    }

    /** @param where null: inside the namespace; otherwise here */
    private void relay(String label, List<String> where, String listen, String connect) {
        String address = listen.replaceAll(".*bind=([^,]+).*", "$1");
        int port = Integer.parseInt(listen.replaceAll("TCP-LISTEN:(\\d+).*", "$1"));
        if (listening(where == null, address, port)) {
            throw new TestkitException("cannot relay " + label + " of " + name + ": " + address + ":" + port
                    + " is in use " + (where == null ? "inside the namespace" : "here") + " (stop the server first)");
        }
        List<String> socat = List.of("socat", listen, connect);
        ServerProcess relay = ServerProcess.start("relay " + label + " of " + name, where == null ? wrap(socat) : socat,
                directory, directory.resolve(label + ".log"), java.util.Map.of());
        relays.add(relay);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!listening(where == null, address, port)) {
            if (!relay.isAlive() || System.nanoTime() > deadline) {
                throw new TestkitException("relay " + label + " of " + name + " does not listen on " + address + ":"
                        + port + ":\n" + relay.logTail(10));
            }
            Testkit.sleep(20);
        }
    }

    private boolean listening(boolean insideNamespace, String address, int port) {
        List<String> ss = List.of("ss", "-Hltn", "src", address + ":" + port);
        return !run(insideNamespace ? wrap(ss) : ss, true).isBlank();
    }

    @Override
    public synchronized void close() {
        for (ServerProcess relay : relays) {
            relay.kill();
        }
        relays.clear();
        run(List.of("ip", "netns", "del", name), false); // takes the pair with it
        run(List.of("ip", "link", "del", hostInterface), false); // in case the namespace never got its end
        Testkit.get().discard(directory);
    }

    private void inside(String... command) {
        run(wrap(List.of(command)), true);
    }

    private static void ip(String... arguments) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(arguments));
        run(command, true);
    }

    private static String run(List<String> command, boolean mustSucceed) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new TestkitException(String.join(" ", command) + " did not finish");
            }
            if (mustSucceed && process.exitValue() != 0) {
                throw new TestkitException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): "
                        + output.strip() + (OsUser.jvmIsRoot() ? "" : " - network namespaces need root"));
            }
            return output;
        } catch (IOException e) {
            throw new TestkitException("cannot run " + String.join(" ", command) + ": " + e.getMessage()
                    , e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted: " + String.join(" ", command), e);
        }
    }

    /** A 10.231.N.0/30 no interface here uses yet. */
    private static int freeSubnet() {
        String used = run(List.of("ip", "-o", "-4", "addr", "show"), true);
        for (int attempt = 0; attempt < 100; attempt++) {
            int subnet = ThreadLocalRandom.current().nextInt(1, 255);
            if (!used.contains(" 10.231." + subnet + ".")) {
                return subnet;
            }
        }
        throw new TestkitException("no free 10.231.N.0/30 subnet for a network namespace");
    }

    /** Deletes the namespaces whose JVM is gone (their processes went with the reaper). */
    private static void removeLeftoversOfDeadJvms() {
        for (String line : run(List.of("ip", "netns", "list"), false).split("\n")) {
            String ns = line.strip().split("\\s+")[0];
            if (!ns.startsWith(PREFIX)) {
                continue;
            }
            String[] parts = ns.substring(PREFIX.length()).split("-");
            try {
                long pid = Long.parseLong(parts[0]);
                if (ProcessHandle.of(pid).isEmpty()) {
                    run(List.of("ip", "netns", "del", ns), false);
                }
            } catch (NumberFormatException e) {
                // not one of ours
            }
        }
    }
}
