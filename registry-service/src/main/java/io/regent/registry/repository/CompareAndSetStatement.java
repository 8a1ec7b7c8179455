package io.regent.registry.repository;

import io.agroal.api.AgroalDataSource;
import io.regent.events.NodeRole;
import io.regent.events.TopologyChanged;
import io.regent.registry.service.OutboxWriter;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;

/**
 * A topology compare-and-set as one auto-committed statement: move the cluster row to the next
 * revision (and epoch, when the leader changes), set the changed nodes' roles and insert the outbox
 * row - all or nothing, one round trip.
 *
 * <p>It applies only while the row is still the exact one the caller built its snapshot from
 * (same epoch, same {@code version}, same incarnation by {@code created_at}); every other change
 * of a cluster or its nodes moves {@code version}. Updating the row takes its lock before the
 * node and outbox writes run (they read the row the update returns), so outbox ids of one cluster
 * stay in commit order, as on the locking path.
 */
@ApplicationScoped
public class CompareAndSetStatement {

    private static final String SQL = """
            WITH moved AS (
                UPDATE cluster SET epoch = ?, revision = ?, leader_node = ?, updated_at = ?, version = version + 1
                WHERE id = ? AND epoch = ? AND version = ? AND created_at = ?
                RETURNING id),
            roles AS (
                UPDATE node SET role = changed.role, updated_at = ?
                FROM unnest(?::text[], ?::text[]) AS changed(name, role)
                WHERE node.cluster_id = (SELECT id FROM moved) AND node.name = changed.name),
            event AS (
                INSERT INTO outbox (event_id, topic, event_key, payload, created_at, origin)
                SELECT ?, ?, ?, ?, ?, ? FROM moved)
            SELECT count(*) FROM moved""";

    /** The row as the caller last saw it. */
    public record Expected(String clusterId, long epoch, long version, Instant createdAt) {
    }

    private final AgroalDataSource dataSource;

    public CompareAndSetStatement(AgroalDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Applies the change if the row is still {@code expected}; false (and nothing written) when it
     * is not - another writer or another kind of change got there first.
     */
    public boolean apply(Expected expected, TopologyChanged after, Map<String, NodeRole> changedRoles,
            OutboxWriter.Row event) throws SQLException {
        String[] names = changedRoles.keySet().toArray(String[]::new);
        String[] roles = changedRoles.values().stream().map(Enum::name).toArray(String[]::new);
        OffsetDateTime now = OffsetDateTime.ofInstant(after.changedAt(), ZoneOffset.UTC);
        try (Connection connection = dataSource.getConnection();
                PreparedStatement statement = connection.prepareStatement(SQL)) {
            int i = 0;
            statement.setLong(++i, after.epoch());
            statement.setLong(++i, after.revision());
            statement.setString(++i, after.leader());
            statement.setObject(++i, now);
            statement.setString(++i, expected.clusterId());
            statement.setLong(++i, expected.epoch());
            statement.setLong(++i, expected.version());
            statement.setObject(++i, OffsetDateTime.ofInstant(expected.createdAt(), ZoneOffset.UTC));
            statement.setObject(++i, now);
            statement.setArray(++i, connection.createArrayOf("text", names));
            statement.setArray(++i, connection.createArrayOf("text", roles));
            statement.setObject(++i, event.eventId());
            statement.setString(++i, event.topic());
            statement.setString(++i, event.key());
            statement.setBytes(++i, event.payload());
            statement.setObject(++i, OffsetDateTime.ofInstant(event.createdAt(), ZoneOffset.UTC));
            statement.setString(++i, event.origin());
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getLong(1) == 1;
            }
        }
    }
}
