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
            UUID operationId, Long ownerToken) {
    }

    /** {@code refused}: recorded FAILED at once with the reason (a refusal never runs, see the registry's API). */
    public record NewOperation(UUID id, OperationKind kind, String fromNode, String toNode, Long epochBefore,
            String initiator, String reason, Boolean refused) {
        public NewOperation(UUID id, OperationKind kind, String fromNode, String toNode, Long epochBefore,
                String initiator, String reason) {
            this(id, kind, fromNode, toNode, epochBefore, initiator, reason, null);
        }
    }

    public record Maintenance(boolean enabled, String reason) {
    }

    public record Phase(String name, Instant at, String detail, Long ownerToken) {
        public Phase(String name, Instant at, String detail) {
            this(name, at, detail, null);
        }
    }

    public record Finish(OperationStatus status, Long epochAfter, String error, Long ownerToken) {
        public Finish(OperationStatus status, Long epochAfter, String error) {
            this(status, epochAfter, error, null);
        }
    }

    /** Take an operation over (no token), or renew one's own claim (the token held). */
    public record Claim(String owner, long leaseMillis, Long ownerToken) {
    }

    /** The registry's check right before an irreversible step. */
    public record Guard(long ownerToken, String step, long leaseMillis) {
    }

    /** What a claim or a guard answered: the token, the lease, the cluster's epoch and leader as committed. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Ownership(OperationUpdated operation, String owner, long ownerToken, long leaseMillis, long epoch,
            String leader) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record OperationPage(List<OperationUpdated> items, long total) {
    }

    /** The leader's lease as the registry's database sees it; remainingMillis negative once run out, null if none. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    /** A cluster's stored database login; {@link #toString()} masks the password. */
    public record StoredLogin(String clusterId, String username, String password) {
        @Override
        public String toString() {
            return "StoredLogin[clusterId=" + clusterId + ", username=" + username + ", password=***]";
        }
    }

    public record LeaderLease(String clusterId, String node, Long epoch, String holder, Long remainingMillis) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ClusterView(String id, boolean maintenance, long epoch, String leader, Policy failoverPolicy) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Policy(Boolean automatic, Integer detectionWindowMillis, Integer observerQuorum,
            Long maxLagOnFailoverBytes, Boolean rpoZeroRequired, Boolean autoRejoin) {
    }
}
