package io.regent.registry.service;

import io.regent.events.OperationKind;
import io.regent.registry.domain.ClusterEntity;
import io.regent.registry.repository.ClusterRepository;
import io.regent.registry.repository.LeaderLeaseRepository;
import io.regent.registry.repository.OperationRepository;
import io.regent.registry.rest.dto.LeaderLeaseRequest;
import io.regent.registry.rest.dto.LeaderLeaseResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The leader lease (docs/architecture.md, "Leader lease"): granted only to the cluster's leader at the
 * cluster's epoch, and never while a failover of that leader is on record - taken under the cluster's row
 * lock, like the creation of an operation, so a renewal either commits before the failover is recorded
 * (and the failover waits it out) or is refused.
 */
@ApplicationScoped
public class LeaderLeaseService {

    private final ClusterRepository clusters;
    private final OperationRepository operations;
    private final LeaderLeaseRepository leases;

    public LeaderLeaseService(ClusterRepository clusters, OperationRepository operations,
            LeaderLeaseRepository leases) {
        this.clusters = clusters;
        this.operations = operations;
        this.leases = leases;
    }

    @Transactional
    public LeaderLeaseResponse renew(String clusterId, LeaderLeaseRequest request) {
        ClusterEntity cluster = clusters.requireForUpdate(clusterId);
        if (!request.node().equals(cluster.leaderNode) || request.epoch() != cluster.epoch) {
            throw refusal("Not the leader", "not-leader", "Cluster '" + clusterId + "' is led by "
                    + cluster.leaderNode + " at epoch " + cluster.epoch + ", not by " + request.node() + " at epoch "
                    + request.epoch() + ": the lease is not granted. Fence the node; it is rejoined as a follower.",
                    cluster);
        }
        operations.runningLeaderChange(clusterId)
                .filter(running -> running.kind == OperationKind.FAILOVER && request.node().equals(running.fromNode))
                .ifPresent(running -> {
                    throw refusal("Failover in progress", "failover-running", "Failover " + running.id + " of "
                            + request.node() + " is on record: the lease is not renewed. Fence the node now; "
                            + "the failover promotes another once the lease has run out.", cluster);
                });
        return leases.grant(clusterId, request.node(), request.epoch(), request.holder(),
                Duration.ofMillis(request.leaseMillis()));
    }

    @Transactional
    public LeaderLeaseResponse get(String clusterId) {
        clusters.require(clusterId);
        return leases.find(clusterId);
    }

    /** Gives the lease up (its holder saw its server gone): a failover need not wait it out. */
    @Transactional
    public boolean release(String clusterId, String holder) {
        clusters.require(clusterId);
        return leases.release(clusterId, holder);
    }

    private static ProblemException refusal(String title, String code, String detail, ClusterEntity cluster) {
        Map<String, Object> extensions = new LinkedHashMap<>();
        extensions.put("code", code);
        extensions.put("currentEpoch", cluster.epoch);
        extensions.put("currentLeader", cluster.leaderNode == null ? "" : cluster.leaderNode);
        return new ProblemException(409, title, detail, extensions);
    }
}
