package io.regent.events;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** One instance per event with every field set, and one with only the required fields. */
final class EventSamples {

    static final Instant T0 = Instant.parse("2026-11-26T10:15:30.123Z");

    private EventSamples() {
    }

    static Map<EventType, RegentEvent> full() {
        return Map.of(
                EventType.NODE_OBSERVED, new NodeObserved("orders", "orders-2", "agent-a", "zone-a", T0, 12L,
                        Engine.POSTGRESQL, true, new ProbeError(ProbeErrorKind.TIMEOUT, "statement timeout"),
                        NodeRole.FOLLOWER, true, 3L, 50_331_744L, 50_331_700L, 50_331_600L, 100L, 15L,
                        new WalReceiverState("streaming", "127.0.0.1", 5433, 3L, 50_331_744L, T0.minusMillis(40),
                                T0.minusMillis(40), "orders_2", 40L),
                        List.of(new ReplicaState("orders-3", "127.0.0.1", "streaming", "quorum", 1, 10L, 9L, 8L, 7L,
                                3L, 1L, 2L, 3L, T0, 40L)),
                        "ANY 1 (orders-2, orders-3)", "15.18", "0-1-42,0-2-57", "0-1-42,0-2-60",
                        new SemiSyncState(true, true, 1, 0L, true, false), "http://127.0.0.1:8700", true),
                EventType.TOPOLOGY_CHANGED, topology("orders", 7, "orders-1"),
                EventType.SWITCHOVER_REQUESTED, new SwitchoverRequested(UUID.fromString(
                        "5b0f1d8e-3c1d-4a55-9a57-0d1d4c1b2a01"), "orders", "orders-1", "orders-2", 7L, "alice", T0,
                        "kernel upgrade on orders-1"),
                EventType.FAILOVER_REQUESTED, new FailoverRequested(UUID.fromString(
                        "5b0f1d8e-3c1d-4a55-9a57-0d1d4c1b2a02"), "orders", "orders-3", 7L, "bob", T0,
                        "host orders-1 lost power"),
                EventType.MAINTENANCE_CHANGED, new MaintenanceChanged(UUID.fromString(
                        "5b0f1d8e-3c1d-4a55-9a57-0d1d4c1b2a03"), "orders", true, "carol", T0, "storage migration",
                        T0.plusSeconds(3600)),
                EventType.REJOIN_REQUESTED, new RejoinRequested(UUID.fromString(
                        "5b0f1d8e-3c1d-4a55-9a57-0d1d4c1b2a05"), "orders", "orders-3", true, 7L, "dave", T0,
                        "disk replaced on orders-3"),
                EventType.OPERATION_UPDATED, new OperationUpdated(UUID.fromString(
                        "5b0f1d8e-3c1d-4a55-9a57-0d1d4c1b2a04"), "orders", OperationKind.FAILOVER,
                        OperationStatus.FAILED, "orders-1", "orders-2", 7L, 8L, "system",
                        "leader unreachable by 2 of 3 agents for 3 s",
                        List.of(new OperationPhase(Phases.DETECTED, T0, "2 of 3 agents"),
                                new OperationPhase(Phases.DECIDED, T0.plusMillis(5), "orders-2: most advanced")),
                        T0, T0.plusMillis(6), T0.plusMillis(7), "promotion timed out"));
    }

    static Map<EventType, RegentEvent> minimal() {
        return Map.of(
                EventType.NODE_OBSERVED, new NodeObserved("orders", "orders-2", "agent-a", null, T0, null, null,
                        false, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                        null),
                EventType.TOPOLOGY_CHANGED, new TopologyChanged("orders", 0, null, null, null, null, false, T0, null,
                        null),
                EventType.SWITCHOVER_REQUESTED, new SwitchoverRequested(UUID.randomUUID(), "orders", null, null, null,
                        "alice", T0, null),
                EventType.FAILOVER_REQUESTED, new FailoverRequested(UUID.randomUUID(), "orders", null, null, "bob", T0,
                        null),
                EventType.MAINTENANCE_CHANGED, new MaintenanceChanged(UUID.randomUUID(), "orders", false, "carol", T0,
                        null, null),
                EventType.REJOIN_REQUESTED, new RejoinRequested(UUID.randomUUID(), "orders", "orders-3", false, null,
                        "dave", T0, null),
                EventType.OPERATION_UPDATED, new OperationUpdated(UUID.randomUUID(), "orders", OperationKind.REJOIN,
                        OperationStatus.PENDING, null, null, null, null, null, null, null, T0, null, null, null));
    }

    static TopologyChanged topology(String clusterId, long epoch, String leader) {
        return new TopologyChanged(clusterId, epoch, Engine.POSTGRESQL, leader,
                List.of(new TopologyNode(clusterId + "-1", "127.0.0.1", 5432, "zone-a",
                                leader.equals(clusterId + "-1") ? NodeRole.LEADER : NodeRole.FOLLOWER, 100,
                                null, List.of("ssd")),
                        new TopologyNode(clusterId + "-2", "127.0.0.1", 5433, "zone-b",
                                leader.equals(clusterId + "-2") ? NodeRole.LEADER : NodeRole.FOLLOWER, 100,
                                leader, List.of()),
                        new TopologyNode(clusterId + "-3", "127.0.0.1", 5434, "zone-c", NodeRole.NEEDS_REJOIN, 0,
                                leader, List.of("reporting"))),
                Replication.syncAny(1), false, T0, "failover: " + leader + " promoted",
                UUID.fromString("5b0f1d8e-3c1d-4a55-9a57-0d1d4c1b2a04"), 42);
    }
}
