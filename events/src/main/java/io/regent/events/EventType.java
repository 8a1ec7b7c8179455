package io.regent.events;

import java.net.URI;
import java.util.Arrays;
import java.util.Optional;

/** Binds each event record to its CloudEvents {@code type}, its topic and its JSON Schema. */
public enum EventType {
    NODE_OBSERVED("io.regent.node.observed.v1", NodeObserved.class, Topics.NODE_HEALTH, "node-observed.v1"),
    TOPOLOGY_CHANGED("io.regent.topology.changed.v1", TopologyChanged.class, Topics.TOPOLOGY, "topology-changed.v1"),
    SWITCHOVER_REQUESTED("io.regent.switchover.requested.v1", SwitchoverRequested.class, Topics.COMMANDS,
            "switchover-requested.v1"),
    FAILOVER_REQUESTED("io.regent.failover.requested.v1", FailoverRequested.class, Topics.COMMANDS,
            "failover-requested.v1"),
    MAINTENANCE_CHANGED("io.regent.maintenance.changed.v1", MaintenanceChanged.class, Topics.COMMANDS,
            "maintenance-changed.v1"),
    REJOIN_REQUESTED("io.regent.rejoin.requested.v1", RejoinRequested.class, Topics.COMMANDS,
            "rejoin-requested.v1"),
    OPERATION_UPDATED("io.regent.operation.updated.v1", OperationUpdated.class, Topics.OPERATIONS,
            "operation-updated.v1");

    private final String ceType;
    private final Class<? extends RegentEvent> recordClass;
    private final TopicSpec topic;
    private final String schemaName;

    EventType(String ceType, Class<? extends RegentEvent> recordClass, TopicSpec topic, String schemaName) {
        this.ceType = ceType;
        this.recordClass = recordClass;
        this.topic = topic;
        this.schemaName = schemaName;
    }

    /** The CloudEvents {@code type} attribute. */
    public String ceType() {
        return ceType;
    }

    public Class<? extends RegentEvent> recordClass() {
        return recordClass;
    }

    /** The topic this event is published to. */
    public TopicSpec topic() {
        return topic;
    }

    /** Classpath location of the JSON Schema of the event's {@code data}. */
    public String schemaResource() {
        return "/io/regent/events/schemas/" + schemaName + ".schema.json";
    }

    /** The CloudEvents {@code dataschema} attribute. */
    public URI dataSchema() {
        return URI.create("urn:io.regent:schema:" + schemaName);
    }

    public static EventType of(RegentEvent event) {
        return of(event.getClass());
    }

    public static EventType of(Class<? extends RegentEvent> type) {
        return Arrays.stream(values())
                .filter(t -> t.recordClass == type)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("not a Regent event: " + type.getName()));
    }

    public static Optional<EventType> ofCeType(String ceType) {
        return Arrays.stream(values()).filter(t -> t.ceType.equals(ceType)).findFirst();
    }
}
