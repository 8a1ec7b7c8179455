package io.regent.engines;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Which database login Regent uses on a cluster's nodes: the cluster's own, stored encrypted by the registry and
 * fetched with the service's identity, kept for {@code refresh} and then fetched again in the background (a
 * rotated password takes effect without a restart); otherwise the service's shared default login, if the operator
 * allows that fallback. A registry that cannot be reached leaves the last known login in use.
 */
public final class ClusterLogins {

    /** A login; {@link #toString()} masks the password. */
    public record Login(String username, String password) {
        @Override
        public String toString() {
            return "Login[username=" + username + ", password=***]";
        }
    }

    /** What the registry said last, and when (on this process's monotonic clock). */
    private record Known(Optional<Login> own, long fetchedNanos) {
    }

    private static final System.Logger LOG = System.getLogger(ClusterLogins.class.getName());

    private final Function<String, Optional<Login>> fetch;
    private final Optional<Login> fallback;
    private final long refreshNanos;
    private final LongSupplier nanoClock;
    private final Executor background;
    private final Map<String, Known> known = new ConcurrentHashMap<>();
    private final Map<String, Boolean> fetching = new ConcurrentHashMap<>();

    /**
     * @param fetch      the cluster's stored login from the registry; empty when none is stored; throws when the
     *                   registry cannot answer
     * @param fallback   the shared default login, when the operator allows it
     * @param refresh    how long a fetched answer is used before it is fetched again
     * @param nanoClock  {@link System#nanoTime} (a test passes its own)
     * @param background where refreshes run
     */
    public ClusterLogins(Function<String, Optional<Login>> fetch, Optional<Login> fallback, Duration refresh,
            LongSupplier nanoClock, Executor background) {
        this.fetch = fetch;
        this.fallback = fallback;
        this.refreshNanos = refresh.toNanos();
        this.nanoClock = nanoClock;
        this.background = background;
    }

    /** As a service runs it: the real clock, refreshes on a daemon thread of its own. */
    public static ClusterLogins start(Function<String, Optional<Login>> fetch, Optional<Login> fallback,
            Duration refresh) {
        return new ClusterLogins(fetch, fallback, refresh, System::nanoTime,
                java.util.concurrent.Executors.newSingleThreadExecutor(runnable -> {
                    Thread thread = new Thread(runnable, "regent-cluster-logins");
                    thread.setDaemon(true);
                    return thread;
                }));
    }

    /**
     * The login to use now, never waiting: the cluster's own as last fetched, else the fallback; empty when
     * neither is known yet. A missing or stale answer is fetched in the background.
     */
    public Optional<Login> now(String clusterId) {
        Known current = known.get(clusterId);
        if (current == null || stale(current)) {
            refreshInBackground(clusterId);
        }
        return choose(current);
    }

    /**
     * The login for an action on the nodes: fetched first when missing or stale (this thread waits, as long as
     * the registry client's timeout); when the registry cannot answer, the last known login or the fallback.
     *
     * @throws IllegalStateException when no login is known and no fallback is allowed
     */
    public Login forAction(String clusterId) {
        Known current = known.get(clusterId);
        if (current == null || stale(current)) {
            current = refresh(clusterId).orElse(current);
        }
        return choose(current).orElseThrow(() -> new IllegalStateException("no database login for cluster "
                + clusterId + ": the registry holds none (or could not be asked) and the default login is not "
                + "allowed as a fallback"));
    }

    /** A deleted cluster: nothing kept. */
    public void forget(String clusterId) {
        known.remove(clusterId);
    }

    private Optional<Login> choose(Known current) {
        return current != null && current.own().isPresent() ? current.own() : fallback;
    }

    private boolean stale(Known current) {
        return nanoClock.getAsLong() - current.fetchedNanos() >= refreshNanos;
    }

    private void refreshInBackground(String clusterId) {
        if (fetching.putIfAbsent(clusterId, Boolean.TRUE) == null) {
            try {
                background.execute(() -> {
                    try {
                        refresh(clusterId);
                    } finally {
                        fetching.remove(clusterId);
                    }
                });
            } catch (RuntimeException rejected) {
                fetching.remove(clusterId);
            }
        }
    }

    /** Asks the registry; empty (and the old answer kept) when it cannot answer. */
    private Optional<Known> refresh(String clusterId) {
        try {
            Known answer = new Known(fetch.apply(clusterId), nanoClock.getAsLong());
            Known before = known.put(clusterId, answer);
            if (before == null || !before.own().equals(answer.own())) {
                LOG.log(System.Logger.Level.INFO, () -> "cluster " + clusterId + ": " + (answer.own().isPresent()
                        ? "using its own login " + answer.own().get().username()
                        : "no login stored" + (fallback.isPresent() ? ", using the default login" : "")));
            }
            return Optional.of(answer);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, () -> "cluster " + clusterId + ": its login could not be fetched ("
                    + e.getMessage() + "); keeping the last known one");
            return Optional.empty();
        }
    }
}
