package io.regent.failover.it;

import io.regent.testkit.postgres.Credentials;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An application writing one row per transaction as fast as it can, to whichever node accepts
 * writes: on any error it looks for the writable node again. It remembers every id whose commit
 * was acknowledged - the writes a failover or switchover must not lose.
 */
final class Writer implements AutoCloseable {

    private final PostgresCluster cluster;
    private final Credentials credentials;
    private final Set<Integer> acknowledged = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean running = true;
    private int next = 1_000_000;

    private Writer(PostgresCluster cluster, Credentials credentials) {
        this.cluster = cluster;
        this.credentials = credentials;
        this.thread = new Thread(this::run, "writer-" + cluster.name());
        this.thread.setDaemon(true);
    }

    static Writer start(PostgresCluster cluster, Credentials credentials) {
        Writer writer = new Writer(cluster, credentials);
        writer.thread.start();
        return writer;
    }

    Set<Integer> acknowledged() {
        return acknowledged;
    }

    private void run() {
        Connection connection = null;
        while (running) {
            try {
                if (connection == null) {
                    connection = connectToWritable();
                    if (connection == null) {
                        Thread.sleep(20);
                        continue;
                    }
                }
                int id = next++;
                try (Statement statement = connection.createStatement()) {
                    statement.execute("INSERT INTO t VALUES (" + id + ")");
                }
                acknowledged.add(id); // autocommit: execute returned = commit acknowledged
            } catch (SQLException | RuntimeException e) {
                close(connection);
                connection = null;
            } catch (InterruptedException e) {
                return;
            }
        }
        close(connection);
    }

    private Connection connectToWritable() {
        for (PostgresNode node : cluster.nodes()) {
            if (!node.isRunning()) {
                continue;
            }
            Connection connection = null;
            try {
                connection = node.connect(credentials, "postgres", Duration.ofSeconds(10));
                try (Statement statement = connection.createStatement();
                     ResultSet rs = statement.executeQuery("SELECT NOT pg_is_in_recovery() AND "
                             + "current_setting('default_transaction_read_only') = 'off'")) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return connection;
                    }
                }
            } catch (SQLException | RuntimeException e) {
                // not this one
            }
            close(connection);
        }
        return null;
    }

    void stop() {
        running = false;
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static void close(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // already gone
            }
        }
    }
}
