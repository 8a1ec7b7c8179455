package io.regent.registry.messaging;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * The relay's statements, each one auto-committed round trip on the relay's own connection.
 */
final class OutboxStore {

    /** An outbox row as the relay publishes it. */
    record Message(long id, String eventId, String topic, String key, byte[] payload, String origin) {
    }

    private OutboxStore() {
    }

    /** The oldest unsent rows, in the order they must be published. */
    static List<Message> nextBatch(Connection connection, int limit) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT id, event_id, topic, event_key, payload, origin "
                + "FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT ?")) {
            statement.setInt(1, limit);
            List<Message> batch = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    batch.add(new Message(rows.getLong(1), rows.getString(2), rows.getString(3), rows.getString(4),
                            rows.getBytes(5), rows.getString(6)));
                }
            }
            return batch;
        }
    }

    static void markSent(Connection connection, List<Long> ids, Instant at) throws SQLException {
        if (ids.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement(
                "UPDATE outbox SET sent_at = ? WHERE id = ANY (?)")) {
            statement.setObject(1, OffsetDateTime.ofInstant(at, ZoneOffset.UTC));
            statement.setArray(2, connection.createArrayOf("bigint", ids.toArray(Long[]::new)));
            statement.executeUpdate();
        }
    }

    /**
     * Takes or renews the relay lease for {@code holder} until {@code lease} from now on the database's
     * clock: true when it holds it (it held it, or the last holder's lease ran out).
     */
    static boolean holdLease(Connection connection, String holder, java.time.Duration lease) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("""
                INSERT INTO outbox_relay (id, holder, expires_at)
                VALUES (1, ?, clock_timestamp() + ? * interval '1 millisecond')
                ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                WHERE outbox_relay.holder = EXCLUDED.holder OR outbox_relay.expires_at < clock_timestamp()
                RETURNING holder""")) {
            statement.setString(1, holder);
            statement.setLong(2, lease.toMillis());
            try (ResultSet result = statement.executeQuery()) {
                return result.next();
            }
        }
    }

    /** Gives the lease up at once (a clean shutdown), so the next relay need not wait it out. */
    static void releaseLease(Connection connection, String holder) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "DELETE FROM outbox_relay WHERE id = 1 AND holder = ?")) {
            statement.setString(1, holder);
            statement.executeUpdate();
        }
    }

    /**
     * Deletes up to {@code limit} published rows sent before {@code sentBefore}, oldest first; the number deleted.
     * A row not published yet (sent_at NULL) never matches.
     */
    static int purgeSent(Connection connection, Instant sentBefore, int limit) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("DELETE FROM outbox WHERE id IN ("
                + "SELECT id FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ? ORDER BY id LIMIT ?)")) {
            statement.setObject(1, OffsetDateTime.ofInstant(sentBefore, ZoneOffset.UTC));
            statement.setInt(2, limit);
            return statement.executeUpdate();
        }
    }

    static long backlog(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL");
                ResultSet result = statement.executeQuery()) {
            result.next();
            return result.getLong(1);
        }
    }
}
