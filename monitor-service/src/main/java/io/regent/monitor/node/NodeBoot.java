package io.regent.monitor.node;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.TopologyChanged;
import io.regent.engines.EngineActionException;
import io.regent.monitor.config.MonitorConfig;
import io.regent.monitor.lease.LeaderLeaseKeeper;
import io.regent.monitor.lease.LeaseRules.Renewal;
import io.regent.monitor.topology.WatchedNodes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Node mode with {@code regent.monitor.node.start-on-boot}: when the agent starts, it starts its stopped server
 * if {@link BootRules} allow it - a standby at once, a former leader only on a leader lease granted at the
 * topology's epoch. A leader whose start outlasted its lease (less the fence's head start) is fenced at once, by
 * SQL: a failover may have been decided meanwhile, and only the next renewal would tell.
 */
@ApplicationScoped
public class NodeBoot {

    private static final Logger LOG = Logger.getLogger(NodeBoot.class);
    private static final Duration RETRY = Duration.ofSeconds(1);
    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    private final MonitorConfig.Node node;
    private final LocalNodeAgent local;
    private final WatchedNodes topologies;
    private final LeaderLeaseKeeper lease;
    private Thread thread;

    public NodeBoot(MonitorConfig config, LocalNodeAgent local, WatchedNodes topologies, LeaderLeaseKeeper lease) {
        this.node = config.node();
        this.local = local;
        this.topologies = topologies;
        this.lease = lease;
    }

    void onStart(@Observes StartupEvent event) {
        if (!local.enabled() || !node.startOnBoot()) {
            return;
        }
        if (node.leaderLease().isZero()) {
            LOG.warn("boot: regent.monitor.node.leader-lease=0 - a server that last ran as the leader is never started "
                    + "at boot (nothing guards its start against a failover): a single-node cluster stays unwritable "
                    + "after a restart until someone starts it by hand");
        }
        thread = new Thread(this::boot, "regent-node-boot");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void boot() {
        try {
            bootOnce();
        } finally {
            lease.bootEnded(); // from here on the lease keeper starts a leader's stopped server again
        }
    }

    private void bootOnce() {
        String name = node.name().get();
        String clusterId = node.clusterId().get();
        String lastLogged = null;
        while (!Thread.currentThread().isInterrupted()) {
            try {
                TopologyChanged topology = topologies.topology(clusterId).orElse(null);
                BootRules.Step step = BootRules.decide(name, local.localState(), topology,
                        !node.leaderLease().isZero());
                if (!step.reason().equals(lastLogged)) {
                    LOG.infof("boot: %s", step.reason());
                    lastLogged = step.reason();
                }
                switch (step.action()) {
                    case DONE -> {
                        return;
                    }
                    case START -> {
                        local.startAtBoot(START_TIMEOUT);
                        LOG.infof("boot: %s started", name);
                        return;
                    }
                    case START_IF_LEASED -> {
                        if (startAsLeader(clusterId, name, topology.epoch())) {
                            return;
                        }
                    }
                    case WAIT -> {
                    }
                }
            } catch (EngineActionException | IllegalStateException e) {
                LOG.warnf("boot: %s; trying again", e.getMessage());
            }
            try {
                Thread.sleep(RETRY.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Starts the server on a granted lease; false when the registry did not grant it (ask again). */
    private boolean startAsLeader(String clusterId, String name, long epoch) {
        long sent = System.nanoTime();
        Renewal renewal = lease.renewAtBoot(clusterId, name, epoch);
        if (renewal != Renewal.GRANTED) {
            LOG.infof("boot: leader lease of %s at epoch %d not granted (%s): %s stays stopped", clusterId, epoch,
                    renewal, name);
            return false;
        }
        local.startAtBoot(START_TIMEOUT);
        Duration took = Duration.ofNanos(System.nanoTime() - sent);
        if (took.compareTo(node.leaderLease().minus(node.leaseFenceAhead())) >= 0) {
            // a failover may have been decided while it started (a slow machine): fenced by SQL first - never
            // killed, it answers - then asked again; the failover-service's Unfence rule lifts the fence of a
            // leader it did not replace
            TopologyChanged topology = topologies.topology(clusterId).orElseThrow();
            topology.nodes().stream().filter(n -> n.name().equals(name)).findFirst().ifPresent(self -> LOG.warnf(
                    "boot: %s took %d ms to start, past its leader lease's fence point: %s", name, took.toMillis(),
                    local.fenceOwnServer(topology, self, node.leaseFenceAhead().dividedBy(3), false)));
            long again = System.nanoTime();
            if (lease.renewAtBoot(clusterId, name, epoch) == Renewal.GRANTED) {
                lease.adoptBootGrant(epoch, again);
            }
            return true;
        }
        lease.adoptBootGrant(epoch, sent);
        LOG.infof("boot: %s started as the leader of %s at epoch %d on its leader lease", name, clusterId, epoch);
        return true;
    }
}
