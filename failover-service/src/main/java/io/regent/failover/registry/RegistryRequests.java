package io.regent.failover.registry;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.regent.events.NodeRole;
import io.regent.events.OperationKind;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Bodies of the registry calls this service makes, as the client side sees them (only the fields
 * it sends or reads; unknown fields are ignored so the registry can grow).
 */
public final class RegistryRequests {

    private RegistryRequests() {
    }

    public record TopologyUpdate(long expectedEpoch, String leader, Map<String, NodeRole> roles, String reason,
            UUID operationId) {
    }

    public record NewOperation(UUID id, OperationKind kind, String fromNode, String toNode, Long epochBefore,
            String initiator, String reason) {
    }

    public record Maintenance(boolean enabled, String reason) {
    }

    public record Phase(String name, Instant at, String detail) {
    }

    public record Finish(OperationStatus status, Long epochAfter, String error) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record OperationPage(List<OperationUpdated> items, long total) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ClusterView(String id, boolean maintenance, long epoch, String leader, Policy failoverPolicy) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Policy(Boolean automatic, Integer detectionWindowMillis, Integer observerQuorum,
            Long maxLagOnFailoverBytes, Boolean rpoZeroRequired, Boolean autoRejoin) {
    }
}
