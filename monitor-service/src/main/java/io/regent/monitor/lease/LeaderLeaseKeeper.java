package io.regent.monitor.lease;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.monitor.config.MonitorConfig;
import io.regent.monitor.lease.LeaseRules.Renewal;
import io.regent.monitor.node.BootRules;
import io.regent.monitor.node.LocalNodeAgent;
import io.regent.monitor.node.ServerWatch;
import io.regent.monitor.topology.WatchedNodes;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.WebApplicationException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.rest.client.inject.RestClient;
import org.jboss.logging.Logger;

/**
 * Node mode, while the local node leads: holds the leader lease with the registry (docs/architecture.md,
 * "Leader lease"). Renewed every {@code lease-renew-interval} whatever the server's health - whether the
 * leader is lost is the failover-service's call, and the registry answers it by refusing the renewal
 * once a failover is on record; then the agent fences its server at once (SIGKILL when it does not
 * answer), and gives the lease up so the promotion need not wait it out. Given up as well when the server
 * is gone (no postmaster). When the registry does not answer, the agent fences its server
 * {@code lease-fence-ahead} before the lease ends - unless every follower still streams from it and replied
 * lately (the control plane is down as a whole: nobody can have been promoted; Patroni's failsafe mode).
 */
@ApplicationScoped
public class LeaderLeaseKeeper {

    private static final Logger LOG = Logger.getLogger(LeaderLeaseKeeper.class);
    /** The longest a renewal is awaited: the leader-lease REST client's connect (500 ms) and read (1 s) timeouts. */
    private static final Duration RENEWAL_TIMEOUT = Duration.ofMillis(1_500);
    /** A leader's stopped server is started again at most this often (a server that cannot start is not hammered). */
    static final Duration RESTART_EVERY = Duration.ofSeconds(5);
    /**
     * How long a leader's server must have been stopped before this keeper starts it again: a failover decided on
     * the server's death (proven dead: about a second) is recorded first and the restart's lease is refused - the
     * restart is for a leader no failover replaces, not a race with one.
     */
    static final Duration RESTART_AFTER = Duration.ofSeconds(5);
    private static final Duration RESTART_TIMEOUT = Duration.ofMinutes(2);

    private final MonitorConfig config;
    private final MonitorConfig.Node node;
    private final WatchedNodes topologies;
    private final LocalNodeAgent local;
    private final LeaderLeaseApi registry;
    private final MeterRegistry meters;
    private final ServerWatch serverWatch;
    private ScheduledExecutorService timer;
    /** Sends renewals, so that one that hangs is given up on time ({@link #renewWithin}). */
    private ExecutorService caller;

    /** Monotonic time the last granted renewal was sent; null while no lease is held. */
    private Long lastGrantSent;
    private long heldEpoch = -1;
    private boolean fenced;
    private boolean released;
    /** The last try to give the lease up failed: the next failures are not logged again. */
    private boolean releaseFailed;
    private String lastLogged;
    /** Set once {@code NodeBoot} is done: until then starting the server is the boot's. */
    private boolean bootEnded;
    /** Monotonic time before which {@link #restartOnLease} does not try again. */
    private long nextRestart = System.nanoTime();
    /** Monotonic time a round first found the leader's server stopped; null while it runs. */
    private Long stoppedSince;
    /** The registry's last answer refused the lease (failover on record, or not the leader at its epoch). */
    private boolean refused;
    /** What the routing checks read of the lease, written by this keeper's thread after each change. */
    private volatile Standing standing = new Standing(-1, null, false);

    /**
     * The lease as the routing checks see it.
     *
     * @param epoch     the topology epoch the lease is held at; -1 when none
     * @param grantSent monotonic time ({@link System#nanoTime}) the last granted renewal was sent; null: none
     * @param refused   the registry's last answer refused the lease
     */
    public record Standing(long epoch, Long grantSent, boolean refused) {
    }

    public LeaderLeaseKeeper(MonitorConfig config, WatchedNodes topologies, LocalNodeAgent local,
            @RestClient LeaderLeaseApi registry, MeterRegistry meters, ServerWatch serverWatch) {
        this.meters = meters;
        this.serverWatch = serverWatch;
        this.config = config;
        this.node = config.node();
        this.topologies = topologies;
        this.local = local;
        this.registry = registry;
    }

    /** Whether this agent holds a leader lease while its node leads (node mode with a lease above zero). */
    public boolean enabled() {
        return local.enabled() && !node.leaderLease().isZero();
    }

    /** The lease now, for the routing checks. */
    public Standing standing() {
        return standing;
    }

    private void publish() {
        standing = new Standing(heldEpoch, lastGrantSent, refused);
    }

    void onStart(@Observes StartupEvent event) {
        if (!enabled()) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "regent-leader-lease");
            thread.setDaemon(true);
            return thread;
        });
        caller = Executors.newCachedThreadPool(r -> {
            Thread thread = new Thread(r, "regent-leader-lease-renewal");
            thread.setDaemon(true);
            return thread;
        });
        long every = node.leaseRenewInterval().toMillis();
        timer.scheduleWithFixedDelay(this::round, every, every, TimeUnit.MILLISECONDS);
        topologies.whenApplied(this::renewAtOnceWhenMadeLeader);
        // a killed server's lease is given up at once, so a failover need not wait for it (nor for a round)
        serverWatch.whenStopped(() -> timer.execute(this::round));
        LOG.infof("leader lease: %d ms, renewed every %d ms, fence %d ms before it ends", node.leaderLease().toMillis(),
                every, node.leaseFenceAhead().toMillis());
    }

    void onStop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
            caller.shutdownNow();
        }
    }

    /**
     * A topology that makes the local node the leader at an epoch this keeper holds no lease at (a failover or
     * switchover just promoted it): one round now rather than up to a renewal interval later, so the new leader
     * holds its lease - and passes the routing checks' {@code /leader} - as soon as the registry grants it.
     */
    private void renewAtOnceWhenMadeLeader(TopologyChanged snapshot) {
        if (timer != null && snapshot.clusterId().equals(node.clusterId().orElse(null))
                && node.name().get().equals(snapshot.leader()) && snapshot.epoch() != standing.epoch()) {
            timer.execute(this::round);
        }
    }

    /**
     * One renewal outside the keeper's rounds, for the agent's boot ({@code NodeBoot}): a server that last ran
     * as the leader starts only on a grant. Awaited at most the renewal timeout.
     */
    public Renewal renewAtBoot(String clusterId, String self, long epoch) {
        return renew(clusterId, self, epoch, true);
    }

    /**
     * The lease granted at boot, sent at {@code sentNanos} (monotonic), counts as this keeper's last grant: a
     * registry that stops answering right after the start still gets the server fenced on time.
     */
    public void adoptBootGrant(long epoch, long sentNanos) {
        if (timer == null) {
            return;
        }
        timer.execute(() -> {
            heldEpoch = epoch;
            lastGrantSent = sentNanos;
            fenced = false;
            released = false;
            releaseFailed = false;
            refused = false;
            publish();
        });
    }

    private void round() {
        try {
            String clusterId = node.clusterId().get();
            Optional<TopologyChanged> topology = topologies.topology(clusterId);
            Optional<TopologyNode> self = topology.flatMap(t -> t.nodes().stream()
                    .filter(n -> n.name().equals(node.name().get())).findFirst());
            if (topology.isEmpty() || self.isEmpty() || !self.get().name().equals(topology.get().leader())) {
                forget(); // a follower holds no lease; the epoch it led at is over
                return;
            }
            if (topology.get().epoch() != heldEpoch) {
                forget();
                heldEpoch = topology.get().epoch();
            }
            if (Boolean.FALSE.equals(local.serverRunning())) {
                if (stoppedSince == null) {
                    stoppedSince = System.nanoTime();
                }
                release(clusterId, "the server of " + self.get().name() + " is not running");
                restartOnLease(topology.get(), self.get());
                return;
            }
            stoppedSince = null;
            released = false;
            releaseFailed = false;
            long sent = System.nanoTime();
            Renewal renewal = renewWithin(clusterId, self.get().name(), topology.get().epoch(), sent);
            meters.counter("regent.leader.lease.renewals", "outcome", renewal.name()).increment();
            if (renewal == Renewal.GRANTED) {
                lastGrantSent = sent;
                fenced = false;
            }
            if (renewal != Renewal.UNANSWERED) {
                refused = renewal != Renewal.GRANTED;
            }
            publish();
            Duration since = lastGrantSent == null ? null : Duration.ofNanos(System.nanoTime() - lastGrantSent);
            LeaseRules.Outcome outcome = LeaseRules.afterRenewal(renewal, since, node.leaderLease(),
                    node.leaseFenceAhead(), fenced);
            switch (outcome.action()) {
                case NOTHING -> log(outcome.reason());
                case FENCE -> fence(topology.get(), self.get(), outcome.reason(), true);
                case FENCE_POLITELY -> fence(topology.get(), self.get(), outcome.reason(), false);
                case FENCE_UNLESS_FAILSAFE -> {
                    LeaseRules.Outcome failsafe = local.failsafe(topology.get(), self.get(), budget(),
                            node.failsafeReplyWithin());
                    if (failsafe.action() == LeaseRules.Action.NOTHING) {
                        log(outcome.reason() + "; " + failsafe.reason());
                    } else {
                        fence(topology.get(), self.get(), outcome.reason() + "; " + failsafe.reason(), true);
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warnf("leader lease round failed: %s", e.toString());
        } finally {
            publish();
        }
    }

    /**
     * The boot is over ({@code NodeBoot}): from now on a leader's server found stopped - killed by this keeper's
     * own fence, crashed - is started again by {@link #restartOnLease}, as at boot.
     */
    public void bootEnded() {
        if (timer != null) {
            timer.execute(() -> bootEnded = true);
        }
    }

    /**
     * Starts the stopped server of the topology's leader again, on the rules of the boot ({@link BootRules}): only
     * on a lease the registry grants at the topology's epoch - refused once a failover of it is on record - so it
     * can no more race a failover than the boot can. Without it a leader killed by its own fence (a registry that
     * answered too late on a saturated machine, a server too slow to take the SQL fence) stays down for good when
     * no failover replaces it: automatic failover off, no follower yet (a cluster being built), every follower
     * behind the RPO - a cluster left with no writable node. Only with {@code start-on-boot} (the agent starts
     * this server), not in maintenance (the operator's hands), at most once per {@link #RESTART_EVERY}; on this
     * keeper's thread, so no round can give the new lease up while the server starts.
     */
    private void restartOnLease(TopologyChanged topology, TopologyNode self) {
        if (!bootEnded || !node.startOnBoot() || topology.maintenance() || System.nanoTime() - nextRestart < 0
                || stoppedSince == null || System.nanoTime() - stoppedSince < RESTART_AFTER.toNanos()) {
            return;
        }
        BootRules.Step step = BootRules.decide(self.name(), local.localState(), topology, true);
        if (step.action() != BootRules.Action.START_IF_LEASED) {
            return;
        }
        nextRestart = System.nanoTime() + RESTART_EVERY.toNanos();
        lastGrantSent = null; // the old grant is over: wait for this answer as long as any
        long sent = System.nanoTime();
        Renewal renewal = renewWithin(topology.clusterId(), self.name(), topology.epoch(), sent);
        meters.counter("regent.leader.restarts", "outcome", renewal.name()).increment();
        if (renewal != Renewal.GRANTED) {
            log("the server of " + self.name() + " is not running; not started again: the registry did not grant the "
                    + "lease at epoch " + topology.epoch() + " (" + renewal + ")");
            return;
        }
        LOG.warnf("cluster %s: the server of leader %s is not running; the registry granted the lease at epoch %d: "
                + "starting it again", topology.clusterId(), self.name(), topology.epoch());
        try {
            local.startAtBoot(RESTART_TIMEOUT);
        } catch (RuntimeException e) {
            LOG.warnf("cluster %s: starting %s again failed (%s); next attempt in %s", topology.clusterId(),
                    self.name(), e.getMessage(), RESTART_EVERY);
            return;
        }
        lastGrantSent = sent; // the next rounds renew it, or fence the server when they cannot
        fenced = false;
        released = false;
        releaseFailed = false;
        Duration took = Duration.ofNanos(System.nanoTime() - sent);
        if (took.compareTo(node.leaderLease().minus(node.leaseFenceAhead())) >= 0) {
            // a failover may have been decided while it started: fenced by SQL (it answers), never killed; the
            // failover-service's Unfence rule lifts the fence of a leader it did not replace
            fence(topology, self, self.name() + " took " + took.toMillis() + " ms to start again, past its leader "
                    + "lease's fence point", false);
            return;
        }
        LOG.infof("cluster %s: %s started again as the leader at epoch %d on its leader lease (%d ms)",
                topology.clusterId(), self.name(), topology.epoch(), took.toMillis());
    }

    /**
     * The renewal's answer, awaited no longer than the fence may be put off: a registry that answers late (or a
     * connection that hangs) must not push the fence past the end of the lease. An answer that comes after
     * that counts for nothing (if it was a grant the registry's lease runs longer than the agent assumes:
     * the safe side).
     */
    private Renewal renewWithin(String clusterId, String self, long epoch, long now) {
        long wait = RENEWAL_TIMEOUT.toNanos();
        if (lastGrantSent != null) {
            long untilFence = node.leaderLease().minus(node.leaseFenceAhead()).toNanos() - (now - lastGrantSent);
            if (untilFence <= 0) {
                return Renewal.UNANSWERED; // no time left to wait for an answer: the fence is due
            }
            wait = Math.min(wait, untilFence);
        }
        Future<Renewal> answer = caller.submit(() -> renew(clusterId, self, epoch, true));
        try {
            return answer.get(wait, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true);
            return Renewal.UNANSWERED;
        } catch (ExecutionException e) {
            return Renewal.UNANSWERED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Renewal.UNANSWERED;
        }
    }

    private Renewal renew(String clusterId, String self, long epoch, boolean mayCatchUp) {
        try {
            registry.renew(clusterId, new LeaderLeaseApi.Renewal(self, epoch, config.agentId(),
                    node.leaderLease().toMillis()));
            return Renewal.GRANTED;
        } catch (WebApplicationException e) {
            if (e.getResponse().getStatus() == 409) {
                Map<String, Object> problem = problem(e);
                Object code = problem.get("code");
                if ("failover-running".equals(code)) {
                    return Renewal.FAILOVER_RUNNING;
                }
                if ("not-leader".equals(code)) {
                    // the registry names this node the leader at a newer epoch: only this agent's view lags
                    // (A -> B -> A while the topology event is on its way) - never fence the current leader for it
                    if (mayCatchUp && self.equals(problem.get("currentLeader"))
                            && problem.get("currentEpoch") instanceof Number current && current.longValue() > epoch) {
                        return renew(clusterId, self, current.longValue(), false);
                    }
                    return Renewal.NOT_LEADER;
                }
            }
            return Renewal.UNANSWERED;
        } catch (RuntimeException e) {
            return Renewal.UNANSWERED; // unreachable, timed out
        }
    }

    private void fence(TopologyChanged topology, TopologyNode self, String reason, boolean killIfSilent) {
        LOG.warnf("cluster %s: %s", topology.clusterId(), reason);
        String done = local.fenceOwnServer(topology, self, budget(), killIfSilent);
        fenced = !done.startsWith("not fenced");
        meters.counter("regent.leader.lease.fences", "killed", Boolean.toString(done.contains("killed"))).increment();
        LOG.warnf("cluster %s: %s", topology.clusterId(), done);
        if (fenced) {
            release(topology.clusterId(), done);
        }
    }

    /** Gives the lease up (the server takes no writes): the failover need not wait it out. */
    private void release(String clusterId, String why) {
        if (released || lastGrantSent == null && !fenced) {
            return;
        }
        try {
            registry.release(clusterId, config.agentId());
            released = true;
            releaseFailed = false;
            LOG.infof("cluster %s: leader lease given up: %s", clusterId, why);
        } catch (WebApplicationException e) {
            released = e.getResponse().getStatus() == 404; // not (or no longer) held: nothing to give up
        } catch (RuntimeException e) {
            // asked again every round while the registry is out of reach: said once, not every second
            if (!releaseFailed) {
                LOG.warnf("cluster %s: could not give the leader lease up (%s); it runs out by itself (tried again "
                        + "every round, said once)", clusterId, e.getMessage());
            }
            releaseFailed = true;
        }
    }

    private void forget() {
        stoppedSince = null;
        refused = false;
        lastGrantSent = null;
        fenced = false;
        released = false;
        releaseFailed = false;
        heldEpoch = -1;
    }

    /** The SQL budget of a fence or a failsafe check: a third of the fence's head start. */
    private Duration budget() {
        return node.leaseFenceAhead().dividedBy(3);
    }

    private void log(String message) {
        if (!message.equals(lastLogged) && !message.startsWith("lease renewed")) {
            LOG.infof("leader lease: %s", message);
        }
        lastLogged = message;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> problem(WebApplicationException e) {
        try {
            return e.getResponse().readEntity(Map.class);
        } catch (RuntimeException unreadable) {
            return Map.of();
        }
    }
}
