package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * One row of the leader's {@code pg_stat_replication}: a standby as the leader sees it.
 *
 * @param name            the standby's {@code application_name} (its {@code cluster_name})
 * @param clientAddress   address the standby connects from
 * @param state           {@code streaming}, {@code catchup}, {@code backup} …
 * @param syncState       {@code async}, {@code potential}, {@code sync} or {@code quorum}
 * @param syncPriority    priority in {@code synchronous_standby_names}
 * @param sentLsn         WAL sent, in bytes
 * @param writeLsn        WAL written by the standby, in bytes
 * @param flushLsn        WAL flushed by the standby, in bytes
 * @param replayLsn       WAL replayed by the standby, in bytes
 * @param lagBytes        leader's current position minus {@code replayLsn}
 * @param writeLagMillis  {@code write_lag}
 * @param flushLagMillis  {@code flush_lag}
 * @param replayLagMillis {@code replay_lag}
 * @param replyAt         last reply from the standby
 * @param replyAgeMillis  time since that reply, measured on the leader's clock alone ({@code clock_timestamp() -
 *                        reply_time}): how recently the standby was in touch, with no clock of another machine
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReplicaState(
        String name,
        String clientAddress,
        String state,
        String syncState,
        Integer syncPriority,
        Long sentLsn,
        Long writeLsn,
        Long flushLsn,
        Long replayLsn,
        Long lagBytes,
        Long writeLagMillis,
        Long flushLagMillis,
        Long replayLagMillis,
        Instant replyAt,
        Long replyAgeMillis) {
}
