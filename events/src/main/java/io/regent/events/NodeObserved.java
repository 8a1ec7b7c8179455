package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One probe of one node by one monitor agent, published to {@link Topics#NODE_HEALTH}.
 * Positions are numbers that compare and subtract: byte offsets for PostgreSQL (an LSN as a number), the
 * replication domain's GTID sequence number for MariaDB (transactions). GTID engines also report their
 * full GTID sets, which order nodes where one number cannot (several originating servers, errant writes).
 *
 * @param clusterId        the cluster
 * @param node             the probed node's name
 * @param observerId       the monitor agent that probed (quorum counts distinct observers)
 * @param observerZone     the agent's zone
 * @param observedAt       when the probe started
 * @param probeMillis      how long the probe took
 * @param engine           the node's engine
 * @param reachable        whether the probe got an answer
 * @param error            why not, when {@code reachable} is false
 * @param role             what the node says it is ({@code pg_is_in_recovery()})
 * @param readOnly         whether the node refuses writes ({@code default_transaction_read_only} or recovery)
 * @param timeline         the node's timeline
 * @param currentLsn       on a leader, {@code pg_current_wal_lsn()}
 * @param receivedLsn      on a follower, {@code pg_last_wal_receive_lsn()}
 * @param replayedLsn      on a follower, {@code pg_last_wal_replay_lsn()}
 * @param lagBytes         on a follower, received minus replayed (the leader's view is in {@code replicas})
 * @param lagMillis        on a follower, replay delay; zero when received equals replayed
 * @param walReceiver      on a follower, its WAL receiver; absent when none runs
 * @param replicas         on a leader, its standbys as {@code pg_stat_replication} shows them
 * @param synchronousStandbyNames on a leader, its {@code synchronous_standby_names}
 * @param serverVersion    the server's version string
 * @param executedGtids    on a GTID engine (MariaDB), every transaction the node holds as the engine writes a
 *                         GTID set: MariaDB's {@code @@gtid_binlog_state} (last sequence per domain and
 *                         originating server) merged with {@code @@gtid_slave_pos}; null for PostgreSQL
 * @param receivedGtids    on a GTID follower, {@code executedGtids} plus what its IO thread received and the
 *                         applier owes ({@code Gtid_IO_Pos}): what it would hold once promoted
 * @param semiSync         on a MySQL-family node, its semi-synchronous replication; null for PostgreSQL
 * @param agentEndpoint    set only when the observer is the node's own agent (node mode): the base URL
 *                         where it takes node actions (stop, start, rejoin, rebuild)
 * @param serverRunning    set only by the node's own agent (node mode), which sees the node's processes: whether the
 *                         server's main process runs (PostgreSQL: {@code postmaster.pid} names a live process).
 *                         {@code false} with a refused probe proves the server dead, not merely out of reach
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeObserved(
        String clusterId,
        String node,
        String observerId,
        String observerZone,
        Instant observedAt,
        Long probeMillis,
        Engine engine,
        boolean reachable,
        ProbeError error,
        NodeRole role,
        Boolean readOnly,
        Long timeline,
        Long currentLsn,
        Long receivedLsn,
        Long replayedLsn,
        Long lagBytes,
        Long lagMillis,
        WalReceiverState walReceiver,
        List<ReplicaState> replicas,
        String synchronousStandbyNames,
        String serverVersion,
        String executedGtids,
        String receivedGtids,
        SemiSyncState semiSync,
        String agentEndpoint,
        Boolean serverRunning) implements RegentEvent {

    public NodeObserved {
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(observerId, "observerId");
        Objects.requireNonNull(observedAt, "observedAt");
        role = role == null ? NodeRole.UNKNOWN : role;
        replicas = replicas == null ? List.of() : List.copyOf(replicas);
    }

    /** An observation by an agent that does not see the node's processes ({@code serverRunning} unknown). */
    public NodeObserved(String clusterId, String node, String observerId, String observerZone, Instant observedAt,
            Long probeMillis, Engine engine, boolean reachable, ProbeError error, NodeRole role, Boolean readOnly,
            Long timeline, Long currentLsn, Long receivedLsn, Long replayedLsn, Long lagBytes, Long lagMillis,
            WalReceiverState walReceiver, List<ReplicaState> replicas, String synchronousStandbyNames,
            String serverVersion, String executedGtids, String receivedGtids, SemiSyncState semiSync,
            String agentEndpoint) {
        this(clusterId, node, observerId, observerZone, observedAt, probeMillis, engine, reachable, error, role,
                readOnly, timeline, currentLsn, receivedLsn, replayedLsn, lagBytes, lagMillis, walReceiver, replicas,
                synchronousStandbyNames, serverVersion, executedGtids, receivedGtids, semiSync, agentEndpoint, null);
    }

    /** This observation with where its node's own agent takes node actions. */
    public NodeObserved withAgentEndpoint(String endpoint) {
        return asOwnAgent(endpoint, serverRunning);
    }

    /**
     * This observation as the node's own agent publishes it: with where it takes node actions, and whether the
     * server's main process runs.
     */
    public NodeObserved asOwnAgent(String endpoint, Boolean running) {
        return new NodeObserved(clusterId, node, observerId, observerZone, observedAt, probeMillis, engine, reachable,
                error, role, readOnly, timeline, currentLsn, receivedLsn, replayedLsn, lagBytes, lagMillis, walReceiver,
                replicas, synchronousStandbyNames, serverVersion, executedGtids, receivedGtids, semiSync, endpoint,
                running);
    }
}
