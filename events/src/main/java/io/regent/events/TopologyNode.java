package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Objects;

/**
 * A node in a topology snapshot: where to reach it and what it is.
 *
 * @param name     unique within the cluster
 * @param host     host applications and followers connect to
 * @param port     port applications and followers connect to
 * @param zone     failure domain (rack, availability zone)
 * @param role     role in this epoch
 * @param priority election priority; 0 = never becomes leader
 * @param upstream the node it replicates from; absent for the leader
 * @param tags     free-form labels
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TopologyNode(
        String name,
        String host,
        int port,
        String zone,
        NodeRole role,
        int priority,
        String upstream,
        List<String> tags) {

    public TopologyNode {
        Objects.requireNonNull(name, "name");
        role = role == null ? NodeRole.UNKNOWN : role;
        tags = tags == null ? List.of() : List.copyOf(tags);
    }
}
