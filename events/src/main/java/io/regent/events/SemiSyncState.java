package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A MySQL-family node's semi-synchronous replication as its server reports it: whether a commit
 * waits for a replica's acknowledgement, and whether this node acknowledges its own source's.
 * PostgreSQL's equivalent is {@code synchronous_standby_names} and the replicas' {@code syncState}.
 *
 * @param leaderEnabled     {@code rpl_semi_sync_master_enabled}: commits here wait for an acknowledgement
 * @param leaderActive      {@code Rpl_semi_sync_master_status}: they wait now - off while no replica
 *                          acknowledges and the server fell back to asynchronous (after its timeout)
 * @param acknowledgingReplicas {@code Rpl_semi_sync_master_clients}: replicas connected that acknowledge
 * @param commitsWithoutAck {@code Rpl_semi_sync_master_no_tx}: commits since the server started that no
 *                          replica acknowledged - more than zero means commits that can be lost
 * @param followerEnabled   {@code rpl_semi_sync_slave_enabled}: this node acknowledges what it receives
 * @param followerActive    {@code Rpl_semi_sync_slave_status}: and its IO thread does so now
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SemiSyncState(
        boolean leaderEnabled,
        boolean leaderActive,
        Integer acknowledgingReplicas,
        Long commitsWithoutAck,
        boolean followerEnabled,
        boolean followerActive) {
}
