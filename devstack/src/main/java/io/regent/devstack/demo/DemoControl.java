package io.regent.devstack.demo;

import io.regent.testkit.Testkit;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/** Commands for a demo that runs in another terminal: kill the leader, stop it. */
public final class DemoControl {

    private static final Duration FAILOVER_BUDGET = Duration.ofSeconds(60);

    private final DemoLayout layout;
    private final PrintStream out;
    private final DemoApi api = new DemoApi();

    public DemoControl(DemoLayout layout, PrintStream out) {
        this.layout = layout;
        this.out = out;
    }

    /** The PID of the JVM running the demo of this home, if one runs. */
    public Optional<ProcessHandle> runningDemo() {
        return Testkit.holderOf(layout.home());
    }

    private ProcessHandle requireRunning() {
        return runningDemo().orElseThrow(() -> new DemoException("No demo is running from " + layout.home()
                + ". Start one with ./regent demo (in another terminal), then try again."));
    }

    /**
     * SIGKILL of the leader's PostgreSQL server and all its processes - a crash - then waits until
     * Regent names another leader, and says how long that took.
     */
    public void killLeader() {
        requireRunning();
        DemoSecrets secrets = DemoSecrets.load(layout.secrets());
        if (secrets == null) {
            throw new DemoException("The demo in " + layout.home() + " has no secrets file; restart it with --fresh.");
        }
        String token = api.token("operator", secrets.password("operator"));
        String path = "/api/v1/clusters/" + DemoLayout.CLUSTER + "/topology";
        DemoApi.Response before = api.get(DemoLayout.gateway(), path, token);
        if (before.status() != 200) {
            throw new DemoException("The API does not answer the topology (HTTP " + before.status()
                    + "); is the demo still starting? Wait for its summary, then try again.");
        }
        String leader = before.json().path("leader").asText(null);
        long epoch = before.json().path("epoch").asLong();
        if (leader == null) {
            throw new DemoException("The demo cluster has no leader right now (a failover in progress?); try again "
                    + "in a few seconds.");
        }
        Instant lastFailover = lastFailoverFinished(token);
        if (lastFailover != null) {
            Duration since = Duration.between(lastFailover, Instant.now());
            if (since.compareTo(Demo.MIN_FAILOVER_INTERVAL) < 0) {
                throw new DemoException("The previous failover finished " + since.toSeconds() + " s ago, and Regent "
                        + "fails over at most once every " + Demo.MIN_FAILOVER_INTERVAL.toSeconds() + " s in the demo "
                        + "(anti-flapping; 5 min by default): a kill now would leave the cluster without a leader. "
                        + "Try again in " + (Demo.MIN_FAILOVER_INTERVAL.minus(since).toSeconds() + 1) + " s.");
            }
        }
        List<Long> victims = NodeProcesses.signal(layout.dataDirectory(leader), "KILL");
        if (victims.isEmpty()) {
            throw new DemoException("The leader " + leader + " has no running server; nothing to kill. Is a failover "
                    + "in progress?");
        }
        long postmaster = victims.get(0);
        long killedAt = System.nanoTime();
        out.printf("%s killed the leader %s: SIGKILL to its postmaster (pid %d) and its %d processes.%n",
                LocalTime.now().truncatedTo(ChronoUnit.SECONDS), leader, postmaster, victims.size() - 1);
        out.printf("Watch %s/#/clusters/%s - waiting for Regent to fail over...%n", DemoLayout.gateway(),
                DemoLayout.CLUSTER);
        long deadline = killedAt + FAILOVER_BUDGET.toNanos();
        while (System.nanoTime() < deadline) {
            DemoApi.Response now = api.get(DemoLayout.gateway(), path, token);
            if (now.status() == 200) {
                String current = now.json().path("leader").asText(null);
                if (current != null && !current.equals(leader)) {
                    out.printf("%s is the new leader (epoch %d -> %d), announced %.1f s after the kill. %s will be "
                            + "rewound and rejoin as a follower.%n", current, epoch, now.json().path("epoch").asLong(),
                            (System.nanoTime() - killedAt) / 1e9, leader);
                    return;
                }
            }
            Testkit.sleep(100);
        }
        throw new DemoException("No new leader within " + FAILOVER_BUDGET + " after killing " + leader
                + "; see failover-service.log in " + layout.logs());
    }

    /** When the newest automatic failover of the demo cluster ended, or null. */
    private Instant lastFailoverFinished(String token) {
        DemoApi.Response page = api.get(DemoLayout.gateway(), "/api/v1/clusters/" + DemoLayout.CLUSTER
                + "/operations?size=20", token);
        if (page.status() != 200) {
            return null;
        }
        for (var item : page.json().path("items")) {
            if ("FAILOVER".equals(item.path("kind").asText()) && item.hasNonNull("finishedAt")) {
                return Instant.parse(item.path("finishedAt").asText());
            }
        }
        return null;
    }

    /** Asks the demo's JVM to stop (as Ctrl-C does) and waits until it has. */
    public void stop() {
        ProcessHandle demo = requireRunning();
        out.println("stopping the demo (pid " + demo.pid() + ")...");
        demo.destroy(); // SIGTERM: its shutdown hook stops everything in order
        try {
            demo.onExit().get(120, java.util.concurrent.TimeUnit.SECONDS);
            out.println("stopped.");
        } catch (java.util.concurrent.TimeoutException e) {
            throw new DemoException("The demo (pid " + demo.pid() + ") did not stop within 120 s; kill it with "
                    + "kill -9 " + demo.pid() + " - the next start cleans up after it.");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new DemoException("waiting for the demo failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DemoException("interrupted", e);
        }
    }
}
