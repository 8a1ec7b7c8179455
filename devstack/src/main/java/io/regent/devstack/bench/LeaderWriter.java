package io.regent.devstack.bench;

import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.testkit.postgres.Credentials;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client that writes wherever the topology says the leader is: one INSERT every few
 * milliseconds, reconnecting to the newly named leader after a failure. It records when each
 * acknowledged write happened and on which node, so a benchmark can find the first write a new
 * leader accepted and the longest gap without writes.
 */
public final class LeaderWriter implements AutoCloseable {

    /** Acknowledged writes: when, and the node that acknowledged it. */
    private final ConcurrentSkipListMap<Instant, String> acknowledged = new ConcurrentSkipListMap<>();
    private final AtomicLong failures = new AtomicLong();
    private final TopologyFollower topology;
    private final Credentials credentials;
    private final Thread thread;
    private volatile boolean running = true;

    public LeaderWriter(TopologyFollower topology, Credentials credentials) {
        this.topology = topology;
        this.credentials = credentials;
        this.thread = new Thread(this::run, "leader-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        Connection connection = null;
        String node = null;
        while (running) {
            TopologyChanged current = topology.latest();
            TopologyNode leader = current == null ? null : current.leaderNode().orElse(null);
            try {
                if (leader == null) {
                    pause(20);
                    continue;
                }
                if (connection == null || !leader.name().equals(node)) {
                    close(connection);
                    connection = connect(leader);
                    node = leader.name();
                    try (var statement = connection.createStatement()) {
                        statement.execute("CREATE TABLE IF NOT EXISTS regent_bench (id bigserial PRIMARY KEY, "
                                + "written_at timestamptz NOT NULL DEFAULT now())");
                    }
                }
                try (PreparedStatement insert = connection.prepareStatement("INSERT INTO regent_bench DEFAULT VALUES")) {
                    insert.executeUpdate();
                }
                acknowledged.put(Instant.now(), node);
                pause(5);
            } catch (SQLException e) {
                failures.incrementAndGet();
                close(connection);
                connection = null;
                pause(20);
            }
        }
        close(connection);
    }

    private Connection connect(TopologyNode leader) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", credentials.user());
        props.setProperty("password", credentials.password());
        props.setProperty("connectTimeout", "1");
        props.setProperty("socketTimeout", "2");
        props.setProperty("ApplicationName", "regent-bench-writer");
        return DriverManager.getConnection("jdbc:postgresql://" + leader.host() + ":" + leader.port() + "/postgres",
                props);
    }

    /** The first write acknowledged at or after {@code since} by {@code node}, or null. */
    public Instant firstWriteOn(String node, Instant since) {
        return acknowledged.tailMap(since, true).entrySet().stream().filter(e -> e.getValue().equals(node))
                .map(java.util.Map.Entry::getKey).findFirst().orElse(null);
    }

    /** The longest time between two consecutive acknowledged writes within [from, to], in ms. */
    public long longestGapMillis(Instant from, Instant to) {
        Instant previous = acknowledged.floorKey(from);
        long longest = 0;
        for (Instant at : acknowledged.subMap(from, true, to, true).keySet()) {
            if (previous != null) {
                longest = Math.max(longest, java.time.Duration.between(previous, at).toMillis());
            }
            previous = at;
        }
        return longest;
    }

    public long acknowledgedWrites() {
        return acknowledged.size();
    }

    public long failedAttempts() {
        return failures.get();
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
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
