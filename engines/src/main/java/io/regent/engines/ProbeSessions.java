package io.regent.engines;

import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.ProbeError;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One kept session per node for probes, and the rule that a probe's deadline bounds the probe,
 * not the session. Statements run on an I/O thread while the probe waits until its deadline; a
 * server that answers late keeps its session - the statements finish in the background and hand
 * it back, and the node's next probe waits for that instead of opening a second session. Closing
 * it instead would make an overloaded server pay a new login for every late answer: load begets
 * load (the probe benchmark's 2,000 entries never left their cold start that way). Logins work
 * alike: one per node at a time, at most {@value #CONCURRENT_LOGINS} at once, not abandoned at the
 * deadline. A server that stays silent for ten probe timeouts (at least 10 s) loses the session.
 */
public final class ProbeSessions implements AutoCloseable {

    /** Opens a session whose connect, login and reads give up after {@code stalledAfter}. */
    @FunctionalInterface
    public interface Opener {
        /**
         * @param stalledAfter     the connect and read timeouts of the session
         * @param statementTimeout the server cancels a probe statement that runs longer (and so answers,
         *                         {@code SLOW}, before the probe's deadline: a slow server is told from a
         *                         frozen one, which does not answer at all)
         */
        Connection open(NodeTarget node, Duration stalledAfter, Duration statementTimeout) throws SQLException;
    }

    /** A probe's statements on a session. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** A probe's statements on a session, told when the probe started and by when it must end. */
    @FunctionalInterface
    public interface Probe {
        NodeObserved run(Connection connection, Instant started, long startNanos, long deadlineNanos)
                throws SQLException;
    }

    private static final Duration STALLED_MIN = Duration.ofSeconds(10);
    private static final int CONCURRENT_LOGINS = 32;

    private final Opener opener;
    private final Map<String, Connection> idle = new ConcurrentHashMap<>();
    /** Per node: statements or a login that outlived the deadline of the probe that started them. */
    private final Map<String, CompletableFuture<?>> inFlight = new ConcurrentHashMap<>();
    private final ExecutorService connector;
    private final ExecutorService io;
    private volatile boolean closed;

    /** @param threadPrefix names this engine's threads ({@code <prefix>-connect}, {@code <prefix>-io}) */
    public ProbeSessions(String threadPrefix, Opener opener) {
        this.opener = opener;
        ThreadPoolExecutor logins = new ThreadPoolExecutor(CONCURRENT_LOGINS, CONCURRENT_LOGINS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemon(threadPrefix + "-connect"));
        logins.allowCoreThreadTimeOut(true);
        this.connector = logins;
        this.io = Executors.newCachedThreadPool(daemon(threadPrefix + "-io"));
    }

    /**
     * Probes {@code node} within {@code timeout}: the observation {@code probe} makes of it, or one
     * that says why there is none (the error class of what failed, TIMEOUT when the deadline passed).
     */
    public NodeObserved observe(NodeTarget node, Duration timeout, Observer observer, Engine engine, Probe probe) {
        Instant started = Instant.now();
        long startNanos = System.nanoTime();
        long deadline = startNanos + timeout.toNanos();
        ProbeError error;
        try {
            return run(node, startNanos, deadline, connection -> probe.run(connection, started, startNanos, deadline));
        } catch (SQLException | TimeoutException | RuntimeException e) {
            error = ProbeErrors.classify(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = ProbeErrors.classify(e);
        }
        return new NodeObserved(node.clusterId(), node.name(), observer.id(), observer.zone(), started,
                elapsedMillis(startNanos), engine, false, error, NodeRole.UNKNOWN, null, null, null, null, null,
                null, null, null, List.of(), null, null, null, null, null, null);
    }

    /** Milliseconds since {@code startNanos}: an observation's probe time. */
    public static long elapsedMillis(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /**
     * Runs {@code work} on the node's kept session (or a new one when it has none or the kept one
     * turns out broken) and returns its result, or throws by the deadline.
     *
     * @throws TimeoutException the deadline passed first; the work goes on and keeps the session
     * @throws SQLException     the server refused, failed the login or the statements
     */
    public <T> T run(NodeTarget node, long startNanos, long deadlineNanos, Work<T> work)
            throws SQLException, TimeoutException, InterruptedException {
        awaitPrevious(node, deadlineNanos);
        Connection kept = idle.remove(node.key()); // exclusive while in use
        Duration stalledAfter = stalledAfter(deadlineNanos - startNanos);
        if (kept != null) {
            try {
                return onIoThread(node, kept, stalledAfter, deadlineNanos, work);
            } catch (ExecutionException e) {
                // a broken kept session proves nothing: ask the server afresh
            }
        }
        Connection fresh = connect(node, stalledAfter, statementTimeout(deadlineNanos - startNanos), deadlineNanos);
        try {
            return onIoThread(node, fresh, stalledAfter, deadlineNanos, work);
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof SQLException sql) {
                throw sql;
            }
            throw new SQLException("probing " + node + " failed: " + cause, "08006", cause);
        }
    }

    private <T> T onIoThread(NodeTarget node, Connection connection, Duration stalledAfter, long deadlineNanos,
            Work<T> work) throws ExecutionException, TimeoutException, InterruptedException {
        CompletableFuture<T> running = CompletableFuture.supplyAsync(() -> {
            try {
                connection.setNetworkTimeout(Runnable::run, (int) stalledAfter.toMillis());
                T result = work.run(connection);
                release(node, connection); // before completing, so that whoever waits on this finds it idle
                return result;
            } catch (SQLException | RuntimeException e) {
                closeQuietly(connection);
                throw new CompletionException(e);
            }
        }, io);
        try {
            return running.get(remainingMillis(deadlineNanos), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            inFlight.put(node.key(), running);
            throw e;
        }
    }

    private Connection connect(NodeTarget node, Duration stalledAfter, Duration statementTimeout, long deadlineNanos)
            throws SQLException, TimeoutException, InterruptedException {
        CompletableFuture<Connection> connecting = CompletableFuture.supplyAsync(() -> {
            try {
                return opener.open(node, stalledAfter, statementTimeout);
            } catch (SQLException e) {
                throw new CompletionException(e);
            }
        }, connector);
        try {
            return connecting.get(remainingMillis(deadlineNanos), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            inFlight.put(node.key(), connecting.thenAccept(late -> release(node, late)));
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            if (cause instanceof SQLException sql) {
                throw sql;
            }
            throw new SQLException("connecting to " + node + " failed: " + cause, "08001", cause);
        }
    }

    /** Waits, within this probe's deadline, for a previous probe's statements or login still running. */
    private void awaitPrevious(NodeTarget node, long deadlineNanos) throws TimeoutException, InterruptedException {
        CompletableFuture<?> previous = inFlight.get(node.key());
        if (previous == null) {
            return;
        }
        try {
            previous.get(remainingMillis(deadlineNanos), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            // it failed and dropped its session: this probe starts afresh
        }
        inFlight.remove(node.key(), previous);
    }

    private void release(NodeTarget node, Connection connection) {
        if (closed) {
            closeQuietly(connection);
            return;
        }
        Connection previous = idle.putIfAbsent(node.key(), connection);
        if (previous != null && previous != connection) {
            closeQuietly(connection); // a concurrent probe already returned one
        }
    }

    /** Closes the node's session, now or when its late work hands it back. */
    public void forget(NodeTarget node) {
        closeQuietly(idle.remove(node.key()));
        CompletableFuture<?> late = inFlight.remove(node.key());
        if (late != null) {
            late.whenComplete((result, error) -> closeQuietly(idle.remove(node.key())));
        }
    }

    /** Sessions kept for reuse. */
    public int idle() {
        return idle.size();
    }

    @Override
    public void close() {
        closed = true;
        idle.values().forEach(ProbeSessions::closeQuietly);
        idle.clear();
        connector.shutdownNow();
        io.shutdownNow();
    }

    /** How long a session may stay silent before it is taken for dead: ten probe timeouts, at least 10 s. */
    /** Three quarters of the probe's timeout, at least 100 ms: the server's answer arrives before the deadline. */
    static Duration statementTimeout(long timeoutNanos) {
        return Duration.ofMillis(Math.max(100, TimeUnit.NANOSECONDS.toMillis(timeoutNanos) * 3 / 4));
    }

    static Duration stalledAfter(long timeoutNanos) {
        Duration tenTimeouts = Duration.ofNanos(timeoutNanos).multipliedBy(10);
        return tenTimeouts.compareTo(STALLED_MIN) > 0 ? tenTimeouts : STALLED_MIN;
    }

    private static int remainingMillis(long deadlineNanos) throws TimeoutException {
        long remaining = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (remaining <= 0) {
            throw new TimeoutException("probe deadline passed");
        }
        return (int) Math.min(Integer.MAX_VALUE, remaining);
    }

    private static Throwable unwrap(ExecutionException e) {
        return e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // already broken
            }
        }
    }
}
