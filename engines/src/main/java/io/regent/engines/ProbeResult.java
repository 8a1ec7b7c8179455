package io.regent.engines;

import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.ProbeError;
import io.regent.events.ReplicaState;
import io.regent.events.WalReceiverState;
import java.time.Instant;
import java.util.List;

/**
 * What one probe of one node found. Engine-neutral; positions are byte offsets. The agent turns it
 * into a {@link NodeObserved} by adding who observed it.
 */
public record ProbeResult(
        NodeTarget target,
        Instant startedAt,
        long probeMillis,
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
        String serverVersion) {

    public ProbeResult {
        replicas = replicas == null ? List.of() : List.copyOf(replicas);
        role = role == null ? NodeRole.UNKNOWN : role;
    }

    public static ProbeResult unreachable(NodeTarget target, Instant startedAt, long probeMillis, ProbeError error) {
        return new ProbeResult(target, startedAt, probeMillis, false, error, NodeRole.UNKNOWN, null, null, null, null,
                null, null, null, null, List.of(), null, null);
    }

    public NodeObserved toObservation(String observerId, String observerZone) {
        return new NodeObserved(target.clusterId(), target.name(), observerId, observerZone, startedAt, probeMillis,
                target.engine() == null ? Engine.UNKNOWN : target.engine(), reachable, error, role, readOnly, timeline,
                currentLsn, receivedLsn, replayedLsn, lagBytes, lagMillis, walReceiver, replicas,
                synchronousStandbyNames, serverVersion);
    }
}
