package io.regent.events;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Regent's Kafka topics. Every record is keyed by cluster id.
 *
 * <p>All keyed topics have the <em>same partition count</em> on purpose: with Kafka's default
 * partitioner a cluster id then maps to the same partition number on every topic, and a consumer
 * group using the range assignor gives one instance the health, commands and operations of a
 * cluster together - the "single writer per cluster" rule of DESIGN.md depends on it.
 */
public final class Topics {

    /** Partition count shared by every keyed topic (see the class comment before changing it). */
    public static final int PARTITIONS = 12;

    /** {@link NodeObserved} from every monitor agent; only recent health matters. */
    public static final TopicSpec NODE_HEALTH = new TopicSpec("regent.node-health.v1", PARTITIONS, "delete",
            Map.of("cleanup.policy", "delete",
                    "retention.ms", millis(Duration.ofHours(6))));

    /**
     * {@link TopologyChanged} snapshots, compacted: a new subscriber reads the current topology of
     * every cluster. Tombstones (deleted clusters) are kept a day so slow consumers see them.
     */
    public static final TopicSpec TOPOLOGY = new TopicSpec("regent.topology.v1", PARTITIONS, "compact",
            Map.of("cleanup.policy", "compact",
                    "min.cleanable.dirty.ratio", "0.1",
                    "delete.retention.ms", millis(Duration.ofDays(1))));

    /** {@link SwitchoverRequested}, {@link FailoverRequested}, {@link MaintenanceChanged}, {@link RejoinRequested}. */
    public static final TopicSpec COMMANDS = new TopicSpec("regent.commands.v1", PARTITIONS, "delete",
            Map.of("cleanup.policy", "delete",
                    "retention.ms", millis(Duration.ofDays(7))));

    /** {@link OperationUpdated}: the lifecycle of failovers, switchovers and rejoins. */
    public static final TopicSpec OPERATIONS = new TopicSpec("regent.operations.v1", PARTITIONS, "delete",
            Map.of("cleanup.policy", "delete",
                    "retention.ms", millis(Duration.ofDays(7))));

    public static final List<TopicSpec> ALL = List.of(NODE_HEALTH, TOPOLOGY, COMMANDS, OPERATIONS);

    private Topics() {
    }

    private static String millis(Duration duration) {
        return Long.toString(duration.toMillis());
    }
}
