package io.regent.failover.it;

import io.regent.testkit.postgres.PostgresNode;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;

/**
 * WAL a fenced leader still writes: what its autovacuum, checkpointer and background writer's standby
 * snapshots do now and then, done every millisecond. A superuser session (a fence ends only the
 * applications' sessions) emits non-transactional messages: no transaction id, so no commit waits for a
 * synchronous standby and read-only by default does not stop it.
 */
final class WalChurn implements AutoCloseable {

    private final Thread thread;
    private final AtomicLong emitted = new AtomicLong();
    private volatile boolean running = true;

    private WalChurn(PostgresNode node) {
        this.thread = new Thread(() -> run(node), "wal-churn-" + node.name());
        this.thread.setDaemon(true);
    }

    static WalChurn on(PostgresNode node) {
        WalChurn churn = new WalChurn(node);
        churn.thread.start();
        return churn;
    }

    /** Messages written so far. */
    long emitted() {
        return emitted.get();
    }

    private void run(PostgresNode node) {
        while (running) {
            try (Connection connection = node.connect(); Statement statement = connection.createStatement()) {
                statement.execute("SET default_transaction_read_only = off");
                while (running) {
                    statement.execute("SELECT pg_logical_emit_message(false, 'regent-test-churn', repeat('x', 200))");
                    emitted.incrementAndGet();
                    Thread.sleep(1);
                }
            } catch (SQLException | RuntimeException e) {
                pause(); // the server restarts or stops: try again while running
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
