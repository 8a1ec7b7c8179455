package io.regent.devstack.client;

import io.regent.events.TopologyNode;
import io.regent.testkit.postgres.Credentials;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A client of the checked cluster: INSERTs unique, increasing ids into whatever node {@code target}
 * names, and records each insert the server acknowledged (the COMMIT returned) with the node and
 * the time. An insert whose answer never came is not acknowledged: it may or may not be there, and
 * the checker does not count it. In a synchronous cluster ({@code ANY 1}) an acknowledged insert is
 * on at least one follower too; in an asynchronous one it may be given up by a failover.
 */
public final class CheckingWriter implements AutoCloseable {

    /**
     * One acknowledged insert; {@code lsn}: the server's WAL position as the insert ran (its commit record
     * follows within bytes), -1 when unknown.
     */
    public record Ack(long id, String writer, String node, Instant at, long lsn) {
        public Ack(long id, String writer, String node, Instant at) {
            this(id, writer, node, at, -1);
        }
    }

    public static final String TABLE = "regent_checked_writes";

    private final String name;
    private final Supplier<TopologyNode> target;
    private final Credentials credentials;
    private final AtomicLong ids;
    private final List<Ack> acknowledged = new CopyOnWriteArrayList<>();
    private final AtomicLong failures = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * @param name   who writes (kept in each row)
     * @param target the node to write to now (null: wait)
     * @param ids    the id sequence, shared by all writers so ids are unique across them
     */
    public CheckingWriter(String name, Supplier<TopologyNode> target, Credentials credentials, AtomicLong ids) {
        this.name = name;
        this.target = target;
        this.credentials = credentials;
        this.ids = ids;
        this.thread = new Thread(this::run, "chaos-writer-" + name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Nodes this writer already tried to create its table on (it replicates: once per node is plenty). */
    private final java.util.Set<String> prepared = new java.util.HashSet<>();

    private void run() {
        Connection connection = null;
        String node = null;
        while (running) {
            TopologyNode current = target.get();
            if (current == null) {
                pause(20);
                continue;
            }
            try {
                if (connection == null || !current.name().equals(node)) {
                    close(connection);
                    connection = null;
                    node = current.name();
                    connection = connect(current);
                    if (prepared.add(node)) {
                        createTable(connection);
                    }
                }
                long id = ids.incrementAndGet();
                long lsn;
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + TABLE
                        + " (id, writer, node) VALUES (?, ?, current_setting('cluster_name'))"
                        + " RETURNING pg_current_wal_insert_lsn()::text")) {
                    insert.setLong(1, id);
                    insert.setString(2, name);
                    try (ResultSet returned = insert.executeQuery()) {
                        lsn = returned.next() ? lsn(returned.getString(1)) : -1;
                    }
                }
                acknowledged.add(new Ack(id, name, node, Instant.now(), lsn));
                pause(10);
            } catch (SQLException e) {
                failures.incrementAndGet();
                close(connection);
                connection = null;
                awaitRetry(node);
            }
        }
        close(connection);
    }

    /**
     * After a failed write: 50 ms before the next try at the same node, but at once when the topology names another
     * leader meanwhile - an application that follows the topology reconnects on the event, not on its back-off.
     */
    private void awaitRetry(String failedOn) {
        for (int i = 0; i < 10 && running; i++) {
            TopologyNode current = target.get();
            if (current != null && !current.name().equals(failedOn)) {
                return;
            }
            pause(5);
        }
    }

    private Connection connect(TopologyNode node) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", credentials.user());
        props.setProperty("password", credentials.password());
        props.setProperty("connectTimeout", "1");
        // a commit waiting for a follower that never answers: give up, unacknowledged
        props.setProperty("socketTimeout", "3");
        props.setProperty("ApplicationName", "regent-chaos-" + name);
        return DriverManager.getConnection("jdbc:postgresql://" + node.host() + ":" + node.port() + "/postgres", props);
    }

    /** Creates the table where it is missing; on a follower that fails, and so will the inserts. */
    private static void createTable(Connection connection) {
        try (var statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (id bigint PRIMARY KEY, writer text NOT NULL, "
                    + "node text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())");
        } catch (SQLException e) {
            // read-only: the inserts will say so
        }
    }

    /** A WAL position as PostgreSQL prints it ({@code 16/B374D848}) as a byte offset. */
    public static long lsn(String text) {
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) + Long.parseLong(text.substring(slash + 1), 16);
    }

    public List<Ack> acknowledged() {
        return List.copyOf(acknowledged);
    }

    /** Inserts that failed or were never answered. */
    public long failedAttempts() {
        return failures.get();
    }

    /** The first insert acknowledged by {@code node} at or after {@code since}, or null. */
    public Instant firstWriteOn(String node, Instant since) {
        return acknowledged.stream().filter(a -> a.node().equals(node) && !a.at().isBefore(since)).map(Ack::at)
                .findFirst().orElse(null);
    }

    /** The longest time between two consecutive acknowledged inserts that ends within [from, to], in ms. */
    public long longestGapMillis(Instant from, Instant to) {
        long longest = 0;
        Instant previous = null;
        for (Ack ack : acknowledged) {
            if (previous != null && !ack.at().isBefore(from) && !ack.at().isAfter(to)) {
                longest = Math.max(longest, java.time.Duration.between(previous, ack.at()).toMillis());
            }
            previous = ack.at();
        }
        return longest;
    }

    private static void close(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // already broken
            }
        }
    }

    private void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
