package io.regent.registry.rest.dto;

import io.regent.events.NodeRole;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import jakarta.validation.constraints.Size;
import java.util.Map;
import java.util.UUID;

/**
 * Compare-and-set of a cluster's topology: applied only when the cluster is still at
 * {@code expectedEpoch}. A new leader moves it to {@code expectedEpoch + 1}; a role-only change
 * (same leader) keeps the epoch. Either moves the topology's revision.
 *
 * @param expectedEpoch the epoch the writer based its decision on
 * @param leader        the new leader; absent = leaderless
 * @param roles         roles of other nodes; a node left out keeps its role, except that a
 *                      replaced leader becomes NEEDS_REJOIN
 * @param reason        why, for people
 * @param operationId   the operation making the change
 * @param ownerToken    the fencing token the caller holds on {@code operationId}; when given, the change is
 *                      refused (409) unless that operation is still running and owned with this token
 */
public record TopologyUpdateRequest(
        @NotNull @PositiveOrZero Long expectedEpoch,
        String leader,
        Map<String, NodeRole> roles,
        @Size(max = 2000) String reason,
        UUID operationId,
        @PositiveOrZero Long ownerToken) {

    /** A change made outside any claimed operation. */
    public TopologyUpdateRequest(Long expectedEpoch, String leader, Map<String, NodeRole> roles, String reason,
            UUID operationId) {
        this(expectedEpoch, leader, roles, reason, operationId, null);
    }
}
