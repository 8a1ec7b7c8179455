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
 * The relay's statements, each one auto-committed round trip, run on the connection whose session
 * holds the relay lock: when that session is gone, so is this relay's right to publish, and the
 * next statement says so.
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

    static long backlog(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL");
                ResultSet result = statement.executeQuery()) {
            result.next();
            return result.getLong(1);
        }
    }
}
