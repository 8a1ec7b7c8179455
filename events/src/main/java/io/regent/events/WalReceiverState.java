package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * A follower's WAL receiver as seen in {@code pg_stat_wal_receiver}. {@code lastMessageAgeMillis}
 * is what the follower-witness rule reads: a follower still hearing from the leader proves it alive.
 *
 * @param status           {@code streaming}, {@code starting}, {@code waiting}, {@code stopping} …
 * @param senderHost       host the follower streams from
 * @param senderPort       port the follower streams from
 * @param receivedTimeline timeline of the last WAL received
 * @param latestEndLsn     last WAL position reported by the sender, in bytes
 * @param lastMessageReceivedAt when the follower last heard from its sender
 * @param latestEndAt      time of the last WAL position reported by the sender
 * @param slotName         replication slot used, if any
 * @param lastMessageAgeMillis how long ago the follower last heard from its sender, measured at the probe on one
 *                         clock (PostgreSQL: {@code clock_timestamp() - last_msg_receipt_time} on the follower;
 *                         MariaDB: the agent's own clock); what the failover-service reads, since an instant from
 *                         another machine's clock cannot be compared with its own. Null when unknown
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record WalReceiverState(
        String status,
        String senderHost,
        Integer senderPort,
        Long receivedTimeline,
        Long latestEndLsn,
        Instant lastMessageReceivedAt,
        Instant latestEndAt,
        String slotName,
        Long lastMessageAgeMillis) {
}
