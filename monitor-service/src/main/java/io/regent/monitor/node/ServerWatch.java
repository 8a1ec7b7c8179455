package io.regent.monitor.node;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.monitor.config.MonitorConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Node mode: watches the local server's main process between probes ({@code regent.monitor.node.server-watch-interval},
 * 100 ms: its pid file and the process table, no connection) and tells the listeners the moment it is gone - the
 * probe of the own node runs at once and the leader lease is given up at once, instead of at the next probe tick or
 * renewal. A server killed or crashed is thus reported, as proven evidence, within about the watch interval.
 */
@ApplicationScoped
public class ServerWatch {

    private static final Logger LOG = Logger.getLogger(ServerWatch.class);

    private final LocalNodeAgent local;
    private final MonitorConfig.Node node;
    private final List<Runnable> whenStopped = new CopyOnWriteArrayList<>();
    private ScheduledExecutorService watcher;
    /** The last look: true running, false gone, null not known (not a node agent, or the pid file unreadable). */
    private Boolean running;

    public ServerWatch(LocalNodeAgent local, MonitorConfig config) {
        this.local = local;
        this.node = config.node();
    }

    void onStart(@Observes StartupEvent event) {
        if (!local.enabled() || node.serverWatchInterval().isZero()) {
            return;
        }
        watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "regent-server-watch");
            thread.setDaemon(true);
            return thread;
        });
        long every = node.serverWatchInterval().toMillis();
        watcher.scheduleWithFixedDelay(this::look, every, every, TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (watcher != null) {
            watcher.shutdownNow();
        }
    }

    /** {@code listener} runs, on the watch's thread, each time the local server is seen gone after running. */
    public void whenStopped(Runnable listener) {
        whenStopped.add(listener);
    }

    private void look() {
        Boolean now = local.serverRunning();
        boolean stopped = Boolean.TRUE.equals(running) && Boolean.FALSE.equals(now);
        running = now;
        if (!stopped) {
            return;
        }
        LOG.infof("the server of %s stopped (no postmaster process): probing it and looking at the lease now",
                node.name().orElse("?"));
        for (Runnable listener : whenStopped) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                LOG.warnf("reacting to the server's end failed: %s", e.toString());
            }
        }
    }
}
