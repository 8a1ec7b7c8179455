package io.regent.registry.service;

import io.regent.events.OperationKind;
import io.regent.events.OperationStatus;
import io.regent.events.Phases;
import io.regent.registry.domain.ClusterEntity;
import io.regent.registry.domain.OperationEntity;
import io.regent.registry.domain.PhaseEmbeddable;
import io.regent.registry.repository.ClusterRepository;
import io.regent.registry.repository.OperationRepository;
import io.regent.registry.rest.dto.ClaimRequest;
import io.regent.registry.rest.dto.FinishRequest;
import io.regent.registry.rest.dto.GuardRequest;
import io.regent.registry.rest.dto.OperationRequest;
import io.regent.registry.rest.dto.PhaseRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Duration;
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
        if (request.epochBefore() != null && request.epochBefore() != cluster.epoch) {
            // the intent is a compare-and-set on the epoch: a decision taken on an older topology is void
            throw ClusterService.epochMismatch(clusterId, request.epochBefore(), cluster.epoch, cluster.leaderNode);
        }
        if (OperationRepository.LEADER_CHANGES.contains(request.kind()) && !request.isRefusal()) {
            // the cluster row is locked: two racing failover-service instances cannot both get past here
            operations.runningLeaderChange(clusterId).ifPresent(running -> {
                Map<String, Object> what = new java.util.LinkedHashMap<>();
                what.put("runningOperationId", running.id.toString());
                what.put("runningKind", running.kind.name());
                what.put("runningFromNode", running.fromNode == null ? "" : running.fromNode);
                what.put("runningToNode", running.toNode == null ? "" : running.toNode);
                what.put("runningEpochBefore", running.epochBefore == null ? -1 : running.epochBefore);
                throw new ProblemException(409, "Leader change in progress", "Cluster '" + clusterId + "' already has "
                        + running.kind + " " + running.id + " running (" + running.fromNode + " -> " + running.toNode
                        + "); finish it or continue it instead of starting another.", what);
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
        if (request.isRefusal()) {
            // decided and refused before anything was done: recorded final, so no lease renewal of the leader
            // it concerns is ever refused on its account (a running failover of that leader would be)
            if (request.reason() == null || request.reason().isBlank()) {
                throw ProblemException.unprocessable("reason", "a refusal is recorded with its reason: say why the "
                        + request.kind() + " was not made");
            }
            op.phases.add(new PhaseEmbeddable(Phases.DETECTED, now, request.reason()));
            op.status = OperationStatus.FAILED;
            op.error = request.reason();
            op.finishedAt = now;
        }
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
        requireToken(op, request.ownerToken(), "record phase '" + request.name() + "'");
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
        requireToken(op, request.ownerToken(), "finish it as " + request.status());
        Instant now = Instant.now();
        op.status = request.status();
        op.epochAfter = request.epochAfter();
        op.error = request.error();
        op.finishedAt = now;
        op.updatedAt = now;
        outbox.append(Snapshots.operation(op), now);
        return op;
    }

    /** What {@link #claim} and {@link #guard} answer: the operation, its holder and the cluster as committed. */
    public record Ownership(OperationEntity operation, long leaseMillis, long epoch, String leader) {
    }

    /**
     * Gives the operation to {@code request.owner()} with a new fencing token, larger than any before;
     * refused (409) while another claim's lease runs on the database's clock, or when it has finished.
     * A caller presenting the current token renews its own claim instead.
     */
    @Transactional
    public Ownership claim(UUID operationId, ClaimRequest request) {
        OperationEntity op = lockedOperation(operationId);
        ClusterEntity cluster = clusters.requireForUpdate(op.clusterId);
        requireRunning(op, "claim it");
        Instant now = operations.databaseNow();
        boolean renewal = request.ownerToken() != null && request.ownerToken().equals(op.ownerToken);
        if (!renewal && op.ownerToken != null && op.leaseExpiresAt != null && op.leaseExpiresAt.isAfter(now)) {
            long remaining = Duration.between(now, op.leaseExpiresAt).toMillis();
            throw new ProblemException(409, "Operation owned by another instance", "Operation " + operationId
                    + " is carried out by " + op.owner + " (token " + op.ownerToken + ") whose lease runs for another "
                    + remaining + " ms; claim it again after that.", Map.of("code", "owned", "owner", op.owner,
                            "retryAfterMillis", remaining));
        }
        if (!renewal) {
            op.ownerToken = operations.nextOwnerToken();
            op.owner = request.owner();
        }
        op.leaseExpiresAt = now.plusMillis(request.leaseMillis());
        op.updatedAt = Instant.now();
        return new Ownership(op, request.leaseMillis(), cluster.epoch, cluster.leaderNode);
    }

    /**
     * The check before an irreversible step: the operation still runs, is still held with this token, and
     * (for a leader change) the leader epoch is still the one it started from. Read from the database
     * under the cluster's lock, so no replica's lagging memory can answer; renews the lease.
     */
    @Transactional
    public Ownership guard(UUID operationId, GuardRequest request) {
        OperationEntity op = lockedOperation(operationId);
        ClusterEntity cluster = clusters.requireForUpdate(op.clusterId);
        requireRunning(op, request.step());
        requireToken(op, request.ownerToken(), request.step());
        if (op.epochBefore != null && cluster.epoch != op.epochBefore && op.kind != OperationKind.REJOIN
                && op.kind != OperationKind.REBUILD && op.kind != OperationKind.BOOTSTRAP) {
            throw new ProblemException(409, "Epoch moved", "Cluster '" + op.clusterId + "' is at epoch " + cluster.epoch
                    + " (leader " + cluster.leaderNode + "), not " + op.epochBefore + " where operation " + operationId
                    + " started: it must not " + request.step() + ".", Map.of("code", "epoch-moved", "currentEpoch",
                            cluster.epoch, "currentLeader", cluster.leaderNode == null ? "" : cluster.leaderNode));
        }
        op.leaseExpiresAt = operations.databaseNow().plusMillis(request.leaseMillis());
        return new Ownership(op, request.leaseMillis(), cluster.epoch, cluster.leaderNode);
    }

    /** For a topology change made by {@code operationId}: refused unless it runs on {@code clusterId} held with {@code token}. */
    void requireOwner(String clusterId, UUID operationId, long token) {
        if (operationId == null) {
            throw ProblemException.unprocessable("operationId", "an ownerToken needs the operationId it was issued for");
        }
        OperationEntity op = operations.require(operationId);
        if (!op.clusterId.equals(clusterId)) {
            throw ProblemException.unprocessable("operationId", "operation " + operationId + " belongs to cluster '"
                    + op.clusterId + "', not '" + clusterId + "'");
        }
        operations.getEntityManager().refresh(op); // the caller holds the cluster's lock: this is current
        requireRunning(op, "change the topology");
        requireToken(op, token, "change the topology");
    }

    private static void requireRunning(OperationEntity op, String step) {
        if (op.status.isFinal()) {
            throw new ProblemException(409, "Operation finished", "Operation " + op.id + " already finished as "
                    + op.status + "; it must not " + step + ".", Map.of("code", "operation-finished", "status",
                            op.status.name()));
        }
    }

    /** Once an operation is claimed, only its current holder may act on it or record anything for it. */
    private static void requireToken(OperationEntity op, Long token, String step) {
        if (op.ownerToken != null && !op.ownerToken.equals(token)) {
            throw new ProblemException(409, "Ownership lost", "Operation " + op.id + " is now held by " + op.owner
                    + " with token " + op.ownerToken + (token == null ? "; a request without a token"
                    : "; token " + token + " is stale and") + " must not " + step + ".",
                    Map.of("code", "ownership-lost", "owner", op.owner, "ownerToken", op.ownerToken));
        }
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
