package io.regent.registry.service;

import io.regent.events.NodeRole;
import io.regent.registry.rest.dto.TopologyUpdateRequest;
import java.util.Collection;
import java.util.Map;

/**
 * What a topology compare-and-set does to a cluster, as pure rules: both write paths (the locking
 * one through Hibernate and the single-statement one) apply exactly these.
 */
final class TopologyTransition {

    private TopologyTransition() {
    }

    /** Refuses (422) a leader or a role naming no node of the cluster, or a second LEADER. */
    static void validate(String clusterId, Collection<String> nodeNames, TopologyUpdateRequest request) {
        String leader = request.leader();
        if (leader != null && !nodeNames.contains(leader)) {
            throw ProblemException.unprocessable("leader", "'" + leader + "' is not a node of cluster '" + clusterId
                    + "'; nodes are " + nodeNames);
        }
        for (Map.Entry<String, NodeRole> entry : roles(request).entrySet()) {
            if (!nodeNames.contains(entry.getKey())) {
                throw ProblemException.unprocessable("roles." + entry.getKey(), "'" + entry.getKey()
                        + "' is not a node of cluster '" + clusterId + "'");
            }
            if (entry.getValue() == NodeRole.LEADER && !entry.getKey().equals(leader)) {
                throw ProblemException.unprocessable("roles." + entry.getKey(), "only the node named in 'leader' "
                        + "can have role LEADER");
            }
            if (entry.getValue() == null) {
                throw ProblemException.unprocessable("roles." + entry.getKey(), "role must not be null");
            }
        }
    }

    /** The role {@code node} has after the change. */
    static NodeRole nextRole(String node, NodeRole current, String previousLeader, TopologyUpdateRequest request) {
        if (node.equals(request.leader())) {
            return NodeRole.LEADER;
        }
        NodeRole requested = roles(request).get(node);
        if (requested != null) {
            return requested;
        }
        if (node.equals(previousLeader)) {
            return NodeRole.NEEDS_REJOIN; // a replaced leader has history the new leader lacks
        }
        return current;
    }

    /** Whether the change names another leader: only then does the leader epoch move. */
    static boolean changesLeader(String previousLeader, TopologyUpdateRequest request) {
        return !java.util.Objects.equals(previousLeader, request.leader());
    }

    /** The reason recorded with the change: the writer's, or which leader replaced which. */
    static String reason(TopologyUpdateRequest request, String previousLeader) {
        if (request.reason() != null && !request.reason().isBlank()) {
            return request.reason();
        }
        return changesLeader(previousLeader, request) ? "leader " + previousLeader + " -> " + request.leader()
                : "roles changed: " + roles(request);
    }

    private static Map<String, NodeRole> roles(TopologyUpdateRequest request) {
        return request.roles() == null ? Map.of() : request.roles();
    }
}
