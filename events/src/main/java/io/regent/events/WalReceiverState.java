package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * A follower's WAL receiver as seen in {@code pg_stat_wal_receiver}. {@code lastMessageReceivedAt}
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
        String slotName) {
}
