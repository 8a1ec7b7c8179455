package io.regent.events;

import java.util.Map;
import java.util.Objects;

/**
 * A topic's name and the settings Regent relies on. The replication factor is a property of the
 * deployment (1 on a laptop, 3 in production), so it is not part of the contract.
 *
 * @param name          topic name
 * @param partitions    partition count
 * @param cleanupPolicy {@code delete} or {@code compact}
 * @param configs       topic-level configs, including {@code cleanup.policy}
 */
public record TopicSpec(String name, int partitions, String cleanupPolicy, Map<String, String> configs) {

    public TopicSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(cleanupPolicy, "cleanupPolicy");
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        configs = Map.copyOf(configs);
        if (!cleanupPolicy.equals(configs.get("cleanup.policy"))) {
            throw new IllegalArgumentException("configs must carry cleanup.policy=" + cleanupPolicy);
        }
    }

    public boolean compacted() {
        return cleanupPolicy.contains("compact");
    }
}
