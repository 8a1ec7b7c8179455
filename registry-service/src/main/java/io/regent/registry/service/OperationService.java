package io.regent.registry.service;

import io.regent.events.OperationKind;
import io.regent.events.OperationStatus;
import io.regent.registry.domain.ClusterEntity;
import io.regent.registry.domain.OperationEntity;
import io.regent.registry.domain.PhaseEmbeddable;
import io.regent.registry.repository.ClusterRepository;
import io.regent.registry.repository.OperationRepository;
import io.regent.registry.rest.dto.FinishRequest;
import io.regent.registry.rest.dto.OperationRequest;
import io.regent.registry.rest.dto.PhaseRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The operations history. An operation records its intent before anything is done; phases are
 * appended as they are reached; finishing is final. Each change is announced through the outbox.
 */
@ApplicationScoped
public class OperationService {

    private final OperationRepository operations;
    private final ClusterRepository clusters;
    private final OutboxWriter outbox;

    public OperationService(OperationRepository operations, ClusterRepository clusters, OutboxWriter outbox) {
        this.operations = operations;
        this.clusters = clusters;
        this.outbox = outbox;
    }

    /** Creates the operation; creating an id that exists returns the existing one (idempotent retry). */
    @Transactional
    public OperationEntity create(String clusterId, OperationRequest request, String caller) {
        ClusterEntity cluster = clusters.requireForUpdate(clusterId);
        if (request.id() != null) {
            OperationEntity existing = operations.findById(request.id());
            if (existing != null) {
                if (!existing.clusterId.equals(clusterId) || existing.kind != request.kind()) {
                    throw ProblemException.conflict("Operation " + request.id() + " already exists as a "
                            + existing.kind + " of cluster '" + existing.clusterId + "'. Use a new id.");
                }
                return existing;
            }
        }
        if (request.kind() == OperationKind.FAILOVER || request.kind() == OperationKind.SWITCHOVER) {
            // the cluster row is locked: two racing failover-service instances cannot both get past here
            operations.runningLeaderChange(clusterId).ifPresent(running -> {
                throw new ProblemException(409, "Leader change in progress", "Cluster '" + clusterId + "' already has "
                        + running.kind + " " + running.id + " running (" + running.fromNode + " -> " + running.toNode
                        + "); finish it or continue it instead of starting another.",
                        Map.of("runningOperationId", running.id.toString()));
            });
        }
        requireNode(cluster, "fromNode", request.fromNode());
        requireNode(cluster, "toNode", request.toNode());
        Instant now = Instant.now();
        OperationEntity op = new OperationEntity();
        op.id = request.id() == null ? UUID.randomUUID() : request.id();
        op.clusterId = clusterId;
        op.kind = request.kind();
        op.status = OperationStatus.RUNNING;
        op.fromNode = request.fromNode();
        op.toNode = request.toNode();
        op.epochBefore = request.epochBefore() == null ? cluster.epoch : request.epochBefore();
        op.initiator = request.initiator() == null || request.initiator().isBlank() ? caller : request.initiator();
        op.reason = request.reason();
        op.startedAt = now;
        op.updatedAt = now;
        operations.persist(op);
        outbox.append(Snapshots.operation(op), now);
        return op;
    }

    @Transactional
    public OperationEntity appendPhase(UUID operationId, PhaseRequest request) {
        OperationEntity op = lockedOperation(operationId);
        if (op.status.isFinal()) {
            throw ProblemException.conflict("Operation " + operationId + " is already " + op.status
                    + "; a finished operation takes no more phases.");
        }
        Instant now = Instant.now();
        op.phases.add(new PhaseEmbeddable(request.name(), request.at() == null ? now : request.at(),
                request.detail()));
        op.updatedAt = now;
        outbox.append(Snapshots.operation(op), now);
        return op;
    }

    @Transactional
    public OperationEntity finish(UUID operationId, FinishRequest request) {
        if (!request.status().isFinal()) {
            throw ProblemException.unprocessable("status", "an operation finishes as SUCCEEDED, FAILED or "
                    + "CANCELLED, not " + request.status());
        }
        OperationEntity op = lockedOperation(operationId);
        if (op.status.isFinal()) {
            if (op.status == request.status()) {
                return op; // a retried finish
            }
            throw ProblemException.conflict("Operation " + operationId + " already finished as " + op.status
                    + "; it cannot become " + request.status() + ".");
        }
        Instant now = Instant.now();
        op.status = request.status();
        op.epochAfter = request.epochAfter();
        op.error = request.error();
        op.finishedAt = now;
        op.updatedAt = now;
        outbox.append(Snapshots.operation(op), now);
        return op;
    }

    @Transactional
    public OperationEntity get(UUID operationId) {
        return operations.require(operationId);
    }

    @Transactional
    public List<OperationEntity> page(String clusterId, int page, int size) {
        clusters.require(clusterId);
        return operations.pageOfCluster(clusterId, page, size);
    }

    public long count(String clusterId) {
        return operations.countOfCluster(clusterId);
    }

    /** Locks the operation's cluster first, like every outbox writer, so its events stay in order. */
    private OperationEntity lockedOperation(UUID operationId) {
        OperationEntity op = operations.require(operationId);
        clusters.requireForUpdate(op.clusterId);
        operations.getEntityManager().refresh(op);
        return op;
    }

    private static void requireNode(ClusterEntity cluster, String field, String name) {
        if (name != null && cluster.node(name).isEmpty()) {
            throw ProblemException.unprocessable(field, "'" + name + "' is not a node of cluster '" + cluster.id
                    + "'");
        }
    }
}
