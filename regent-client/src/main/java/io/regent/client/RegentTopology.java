package io.regent.client;

import io.regent.events.TopologyChanged;
import io.regent.events.kafka.TopologyFeed;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What an application knows of its clusters' topologies: the newest snapshot of each cluster, from the
 * compacted topology topic ({@link #fromKafka}) or the gateway's live feed ({@link #fromGateway}).
 *
 * <p><b>Ordering:</b> a cluster's view only ever moves forward. A snapshot is taken only if it
 * {@linkplain TopologyChanged#supersedes supersedes} the one held (by the registry's revision, else by
 * epoch): a duplicate, a replay after a reconnect or a late record of a former relay is dropped, so the
 * epoch an application sees never goes backwards, whichever source and however often it reconnects.
 * Listeners of a cluster see its snapshots one at a time, in that order, each once.
 */
public final class RegentTopology implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RegentTopology.class.getName());

    /** What a subscriber of a cluster is told. Called on the source's thread: keep it short and never block. */
    public interface Listener {
        /** The cluster's newest snapshot: at subscription (when one is known) and on every newer one. */
        void changed(TopologyChanged topology);

        /** The cluster was removed from Regent (its tombstone). */
        default void deleted(String clusterId) {
        }
    }

    private final Object lock = new Object();
    private final Map<String, TopologyChanged> current = new HashMap<>();
    private final Map<String, List<Listener>> listeners = new HashMap<>();
    private volatile AutoCloseable source;
    private volatile boolean closed;

    private RegentTopology() {
    }

    /**
     * Follows the compacted topology topic. {@code kafkaConfig} needs {@code bootstrap.servers} and, on a
     * secured broker, the SASL settings of the application's principal ({@code regent-app}); no consumer
     * group is used, so any number of application instances may follow it. The first snapshot of every
     * cluster arrives within a few hundred milliseconds of the start (the topic is read from its beginning).
     */
    public static RegentTopology fromKafka(Map<String, Object> kafkaConfig, String clientId) {
        RegentTopology topology = new RegentTopology();
        topology.source = TopologyFeed.start(kafkaConfig, clientId, topology::offer, topology::offerDeleted);
        return topology;
    }

    /**
     * Follows the gateway's live feed ({@code GET /api/v1/events}), for applications that cannot reach
     * Kafka. {@code accessToken} is asked for a bearer token (any Regent role) at every (re)connection; the
     * feed resumes after a break with {@code Last-Event-ID}, or starts again from every cluster's current
     * snapshot when the gap is too long.
     */
    public static RegentTopology fromGateway(URI gateway, Supplier<String> accessToken) {
        RegentTopology topology = new RegentTopology();
        topology.source = GatewayFeed.start(gateway, accessToken, topology);
        return topology;
    }

    /** A topology fed by hand through {@link #offer}: tests of an application, or a source of your own. */
    public static RegentTopology manual() {
        return new RegentTopology();
    }

    /** The newest snapshot of {@code clusterId}, if one arrived. */
    public Optional<TopologyChanged> current(String clusterId) {
        synchronized (lock) {
            return Optional.ofNullable(current.get(clusterId));
        }
    }

    /**
     * Waits until the snapshot of {@code clusterId} satisfies {@code condition} and returns it.
     *
     * @throws TimeoutException when it does not within {@code timeout}
     */
    public TopologyChanged await(String clusterId, Predicate<TopologyChanged> condition, Duration timeout)
            throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                TopologyChanged now = current.get(clusterId);
                if (now != null && condition.test(now)) {
                    return now;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed) {
                    throw new TimeoutException("no topology of cluster '" + clusterId + "' as asked within "
                            + timeout.toMillis() + " ms" + (now == null ? " (none arrived at all)"
                            : " (the newest: epoch " + now.epoch() + ", leader " + now.leader() + ")"));
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /**
     * Tells {@code listener} the current snapshot of {@code clusterId} (if known) and then every newer one.
     * Closing the returned handle ends the subscription.
     */
    public AutoCloseable subscribe(String clusterId, Listener listener) {
        synchronized (lock) {
            listeners.computeIfAbsent(clusterId, key -> new ArrayList<>()).add(listener);
            TopologyChanged now = current.get(clusterId);
            if (now != null) {
                notifyChanged(listener, now);
            }
        }
        return () -> {
            synchronized (lock) {
                List<Listener> list = listeners.get(clusterId);
                if (list != null) {
                    list.remove(listener);
                }
            }
        };
    }

    /**
     * Takes {@code snapshot} if it supersedes the one held for its cluster; returns whether it holds it now. The
     * sources call this; so may a test or a source of the application's own.
     */
    public boolean offer(TopologyChanged snapshot) {
        synchronized (lock) {
            TopologyChanged held = current.get(snapshot.clusterId());
            if (snapshot.equals(held)) {
                return true; // the same snapshot again (a retried publish, a replay): nothing to tell
            }
            if (!snapshot.supersedes(held)) {
                return false;
            }
            current.put(snapshot.clusterId(), snapshot);
            for (Listener listener : listeners.getOrDefault(snapshot.clusterId(), List.of())) {
                notifyChanged(listener, snapshot);
            }
            lock.notifyAll();
            return true;
        }
    }

    /** The cluster's tombstone: it is forgotten, and a later registration under its name starts afresh. */
    public void offerDeleted(String clusterId) {
        synchronized (lock) {
            if (current.remove(clusterId) == null) {
                return;
            }
            for (Listener listener : listeners.getOrDefault(clusterId, List.of())) {
                try {
                    listener.deleted(clusterId);
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "a topology listener failed on the deletion of " + clusterId, e);
                }
            }
            lock.notifyAll();
        }
    }

    private static void notifyChanged(Listener listener, TopologyChanged snapshot) {
        try {
            listener.changed(snapshot);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "a topology listener failed on " + snapshot.clusterId() + " epoch "
                    + snapshot.epoch(), e);
        }
    }

    @Override
    public void close() {
        closed = true;
        AutoCloseable feed = source;
        if (feed != null) {
            try {
                feed.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "closing the topology source failed: " + e);
            }
        }
        synchronized (lock) {
            lock.notifyAll();
        }
    }
}
