package io.regent.registry.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.regent.events.Topics;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Published outbox rows are deleted once older than the retention (7 days by default), in batches, by the relay;
 * newer ones stay, and a row not published yet is never deleted, however old.
 */
@QuarkusTest
class OutboxRetentionTest {

    private static final Duration RETENTION = Duration.ofDays(7); // regent.registry.outbox.retention's default

    @Inject
    AgroalDataSource dataSource;

    @Test
    void theRelayDeletesRowsPublishedLongerAgoThanTheRetentionAndKeepsTheRest() throws Exception {
        Instant now = Instant.now();
        List<String> old = new ArrayList<>();
        String recent;
        try (Connection connection = dataSource.getConnection()) {
            for (int i = 0; i < 3; i++) {
                old.add(insert(connection, "retention-relay", now.minus(RETENTION).minus(Duration.ofHours(1 + i)),
                        now.minus(RETENTION).minus(Duration.ofHours(1))));
            }
            recent = insert(connection, "retention-relay", now.minus(Duration.ofDays(6)), now.minus(Duration.ofDays(6)));
        }
        // the relay purges every purge-interval (500 ms in tests)
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> eventIds("retention-relay").stream().noneMatch(old::contains));
        assertThat(eventIds("retention-relay")).as("published 6 days ago: kept").containsExactly(recent);
    }

    @Test
    void thePurgeDeletesInBatchesAndNeverAnUnpublishedRow() throws Exception {
        Instant now = Instant.now();
        Instant cutOff = now.minus(RETENTION);
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false); // rolled back: the relay never sees the unpublished row
            try {
                for (int i = 0; i < 5; i++) {
                    insert(connection, "retention-batches", now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(8)));
                }
                String kept = insert(connection, "retention-batches", now.minus(Duration.ofDays(30)),
                        now.minus(Duration.ofDays(1)));
                String unpublished = insert(connection, "retention-batches", now.minus(Duration.ofDays(30)), null);
                List<Integer> batches = new ArrayList<>();
                int deleted;
                do {
                    deleted = OutboxStore.purgeSent(connection, cutOff, 2);
                    batches.add(deleted);
                } while (deleted == 2);
                assertThat(batches).as("two rows per statement, then the rest").startsWith(2, 2);
                assertThat(batches.stream().mapToInt(Integer::intValue).sum()).isGreaterThanOrEqualTo(5);
                assertThat(eventIds(connection, "retention-batches")).containsExactlyInAnyOrder(kept, unpublished);
            } finally {
                connection.rollback();
            }
        }
    }

    /** An outbox row of {@code key} created and sent ({@code null}: not yet) at those times; its event id. */
    private static String insert(Connection connection, String key, Instant created, Instant sent) throws SQLException {
        String eventId = UUID.randomUUID().toString();
        try (PreparedStatement statement = connection.prepareStatement("INSERT INTO outbox (event_id, topic, event_key, "
                + "payload, created_at, sent_at) VALUES (?::uuid, ?, ?, NULL, ?, ?)")) {
            statement.setString(1, eventId);
            statement.setString(2, Topics.TOPOLOGY.name());
            statement.setString(3, key);
            statement.setObject(4, OffsetDateTime.ofInstant(created, ZoneOffset.UTC));
            if (sent == null) {
                statement.setNull(5, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
            } else {
                statement.setObject(5, OffsetDateTime.ofInstant(sent, ZoneOffset.UTC));
            }
            statement.executeUpdate();
        }
        return eventId;
    }

    private List<String> eventIds(String key) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            return eventIds(connection, key);
        }
    }

    private static List<String> eventIds(Connection connection, String key) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT event_id FROM outbox WHERE event_key = ? ORDER BY id")) {
            statement.setString(1, key);
            List<String> ids = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
            }
            return ids;
        }
    }
}
