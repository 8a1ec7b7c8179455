package io.regent.registry.service;

import io.regent.events.NodeRole;
import io.regent.events.ReplicationMode;
import io.regent.events.TopologyChanged;
import io.regent.registry.config.RegistryConfig;
import io.regent.registry.crypto.CredentialsCipher;
import io.regent.registry.domain.ClusterEntity;
import io.regent.registry.domain.CredentialsEntity;
import io.regent.registry.domain.NodeEntity;
import io.regent.registry.repository.ClusterRepository;
import io.regent.registry.rest.dto.ClusterRequest;
import io.regent.registry.rest.dto.ClusterUpdateRequest;
import io.regent.registry.rest.dto.CredentialsDto;
import io.regent.registry.rest.dto.FailoverPolicyDto;
import io.regent.registry.rest.dto.NodeRequest;
import io.regent.registry.rest.dto.ReplicationDto;
import io.regent.registry.rest.dto.TopologyUpdateRequest;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Clusters, their nodes and their topology. Every change locks the cluster row, applies the
 * change and appends the resulting topology snapshot to the outbox - in one transaction.
 */
@ApplicationScoped
public class ClusterService {

    private static final Logger LOG = Logger.getLogger(ClusterService.class);

    private final ClusterRepository clusters;
    private final OutboxWriter outbox;
    private final CredentialsCipher cipher;
    private final EntityManager entityManager;
    private final RegistryConfig config;
    private final TopologyView view;
    private final OperationService operations;

    public ClusterService(ClusterRepository clusters, OutboxWriter outbox, CredentialsCipher cipher,
            EntityManager entityManager, RegistryConfig config, TopologyView view, OperationService operations) {
        this.clusters = clusters;
        this.operations = operations;
        this.view = view;
        this.outbox = outbox;
        this.cipher = cipher;
        this.entityManager = entityManager;
        this.config = config;
    }

    @Transactional
    public ClusterEntity create(ClusterRequest request) {
        if (clusters.findByIdOptional(request.id()).isPresent()) {
            throw ProblemException.conflict("A cluster with id '" + request.id() + "' already exists. Choose "
                    + "another id, or change it with PUT /api/v1/clusters/" + request.id() + ".");
        }
        Instant now = Instant.now();
        ClusterEntity cluster = new ClusterEntity();
        cluster.id = request.id();
        cluster.displayName = request.displayName();
        cluster.engine = request.engine();
        applyReplication(cluster, request.replication() == null
                ? new ReplicationDto(ReplicationMode.ASYNC, 0) : request.replication());
        cluster.automaticFailover = true;
        cluster.detectionWindowMillis = config.defaults().detectionWindowMillis();
        cluster.observerQuorum = config.defaults().observerQuorum();
        cluster.maxLagOnFailoverBytes = config.defaults().maxLagOnFailoverBytes();
        applyPolicy(cluster, request.failoverPolicy());
        cluster.credentialsRef = request.credentialsRef();
        cluster.epoch = 0;
        cluster.createdAt = now;
        cluster.updatedAt = now;
        List<NodeRequest> nodes = request.nodes() == null ? List.of() : request.nodes();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeRequest node = nodes.get(i);
            if (!names.add(node.name())) {
                throw ProblemException.unprocessable("nodes[" + i + "].name", "node name '" + node.name()
                        + "' appears twice; node names must be unique in a cluster");
            }
            NodeRole role = node.role() == null ? NodeRole.FOLLOWER : node.role();
            if (role != NodeRole.LEADER && role != NodeRole.FOLLOWER) {
                throw ProblemException.unprocessable("nodes[" + i + "].role", "a new node is LEADER or FOLLOWER, "
                        + "not " + role);
            }
            if (role == NodeRole.LEADER) {
                if (cluster.leaderNode != null) {
                    throw ProblemException.unprocessable("nodes[" + i + "].role", "only one node can be LEADER; '"
                            + cluster.leaderNode + "' already is");
                }
                cluster.leaderNode = node.name();
            }
            cluster.nodes.add(newNode(cluster, node, role, now));
        }
        requireDistinctEndpoints(cluster);
        requireEnoughStandbys(cluster, "replication.syncCount");
        clusters.persist(cluster);
        storeCredentials(cluster.id, request.credentials(), now);
        publish(cluster, now, "cluster registered", null);
        LOG.infof("cluster %s registered with %d node(s), leader %s", cluster.id, cluster.nodes.size(),
                cluster.leaderNode);
        return cluster;
    }

    @Transactional
    public ClusterEntity update(String id, ClusterUpdateRequest request) {
        ClusterEntity cluster = clusters.requireForUpdate(id);
        Instant now = Instant.now();
        if (request.displayName() != null) {
            cluster.displayName = request.displayName();
        }
        if (request.replication() != null) {
            applyReplication(cluster, request.replication());
            requireEnoughStandbys(cluster, "replication.syncCount");
        }
        applyPolicy(cluster, request.failoverPolicy());
        if (request.credentialsRef() != null) {
            cluster.credentialsRef = request.credentialsRef().isBlank() ? null : request.credentialsRef();
        }
        storeCredentials(cluster.id, request.credentials(), now);
        cluster.updatedAt = now;
        publish(cluster, now, "cluster settings changed", null);
        return cluster;
    }

    @Transactional
    public void delete(String id) {
        ClusterEntity cluster = clusters.requireForUpdate(id);
        if (!cluster.maintenance) {
            throw ProblemException.conflict("Cluster '" + id + "' is not in maintenance. Switch maintenance on "
                    + "first (PUT /api/v1/clusters/" + id + "/maintenance), so that no failover runs while it "
                    + "is being removed.");
        }
        clusters.delete(cluster);
        outbox.topologyTombstone(id, Instant.now());
        LOG.infof("cluster %s deleted", id);
    }

    public ClusterEntity get(String id) {
        return clusters.requireWithNodes(id);
    }

    /**
     * The cluster's stored login, decrypted - for the other Regent services, which act on its nodes with it.
     * 404 when the cluster does not exist or has none stored; 503 when this registry cannot decrypt it.
     */
    @Transactional
    public CredentialsCipher.Plain credentials(String clusterId) {
        clusters.requireWithNodes(clusterId);
        CredentialsEntity row = entityManager.find(CredentialsEntity.class, clusterId);
        if (row == null) {
            throw new ProblemException(404, "No credentials stored", "Cluster '" + clusterId + "' has no stored "
                    + "credentials: the services use their default login for it, if they are configured to.", Map.of());
        }
        try {
            return cipher.decrypt(row);
        } catch (IllegalStateException e) {
            // the message names the cluster and the key id, never the secret
            throw new ProblemException(503, "Credentials cannot be decrypted", e.getMessage(), Map.of());
        }
    }

    /** Which of these clusters have credentials stored, in one query. */
    public Set<String> withStoredCredentials(List<String> ids) {
        if (ids.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(entityManager.createQuery(
                "select c.clusterId from CredentialsEntity c where c.clusterId in :ids", String.class)
                .setParameter("ids", ids).getResultList());
    }

    @Transactional
    public List<ClusterEntity> page(int page, int size) {
        List<ClusterEntity> result = clusters.page(page, size);
        result.forEach(c -> c.nodes.size());
        return result;
    }

    public long count() {
        return clusters.count();
    }

    @Transactional
    public NodeEntity addNode(String clusterId, NodeRequest request) {
        ClusterEntity cluster = clusters.requireForUpdate(clusterId);
        if (cluster.node(request.name()).isPresent()) {
            throw ProblemException.conflict("Cluster '" + clusterId + "' already has a node named '" + request.name()
                    + "'. Change it with PUT /api/v1/clusters/" + clusterId + "/nodes/" + request.name() + ".");
        }
        if (request.role() != null && request.role() != NodeRole.FOLLOWER) {
            throw ProblemException.unprocessable("role", "a node added to a running cluster starts as FOLLOWER; "
                    + "leadership changes through PUT /api/v1/clusters/" + clusterId + "/topology");
        }
        Instant now = Instant.now();
        NodeEntity node = newNode(cluster, request, NodeRole.FOLLOWER, now);
        cluster.nodes.add(node);
        requireDistinctEndpoints(cluster);
        cluster.updatedAt = now;
        publish(cluster, now, "node " + node.name + " added", null);
        return node;
    }

    @Transactional
    public NodeEntity updateNode(String clusterId, String name, NodeRequest request) {
        ClusterEntity cluster = clusters.requireForUpdate(clusterId);
        NodeEntity node = cluster.node(name).orElseThrow(() -> ProblemException.notFound("Node", name));
        if (!name.equals(request.name())) {
            throw ProblemException.unprocessable("name", "a node cannot be renamed ('" + name + "' to '"
                    + request.name() + "'); remove it and add a new one");
        }
        if (request.role() != null && request.role() != node.role) {
            throw ProblemException.unprocessable("role", "roles change through PUT /api/v1/clusters/" + clusterId
                    + "/topology, not through a node update");
        }
        Instant now = Instant.now();
        node.host = request.host();
        node.port = request.port();
        node.zone = request.zone();
        node.priority = request.priority() == null ? node.priority : request.priority();
        node.tags = request.tags() == null ? node.tags : new ArrayList<>(request.tags());
        node.updatedAt = now;
        requireDistinctEndpoints(cluster);
        cluster.updatedAt = now;
        publish(cluster, now, "node " + name + " changed", null);
        return node;
    }

    @Transactional
    public void deleteNode(String clusterId, String name) {
        ClusterEntity cluster = clusters.requireForUpdate(clusterId);
        NodeEntity node = cluster.node(name).orElseThrow(() -> ProblemException.notFound("Node", name));
        if (name.equals(cluster.leaderNode)) {
            throw ProblemException.conflict("Node '" + name + "' is the leader of cluster '" + clusterId
                    + "'. Switch over to another node first.");
        }
        cluster.nodes.remove(node);
        requireEnoughStandbys(cluster, "name");
        Instant now = Instant.now();
        cluster.updatedAt = now;
        publish(cluster, now, "node " + name + " removed", null);
    }

    @Transactional
    public ClusterEntity setMaintenance(String clusterId, boolean enabled, String reason, String who) {
        ClusterEntity cluster = clusters.requireForUpdate(clusterId);
        Instant now = Instant.now();
        if (cluster.maintenance != enabled) {
            cluster.maintenance = enabled;
            cluster.updatedAt = now;
            String why = "maintenance " + (enabled ? "on" : "off") + " by " + who
                    + (reason == null || reason.isBlank() ? "" : ": " + reason);
            publish(cluster, now, why, null);
        }
        cluster.nodes.size();
        return cluster;
    }

    /** A read from memory ({@link TopologyView}); on a miss, one query without a JTA transaction. */
    public TopologyChanged topology(String clusterId) {
        return view.get(clusterId).orElseGet(() -> consistentTopology(clusterId));
    }

    /**
     * The topology as committed in the database, never from memory: what a decision that may fence or
     * promote reads (another registry replica's memory, or this one's, may lag behind a commit).
     */
    public TopologyChanged consistentTopology(String clusterId) {
        ClusterEntity cluster = clusters.requireWithNodes(clusterId);
        TopologyChanged snapshot = Snapshots.topology(cluster, cluster.updatedAt, null, null);
        view.offer(snapshot);
        return snapshot;
    }

    /**
     * Fills the memory view from the database at start: a restarted registry serves what it committed,
     * not what the topic's last record says (a late record of an older revision never replaces it).
     */
    @Transactional
    void seedView(@Observes StartupEvent event) {
        int page = 0;
        List<ClusterEntity> batch;
        do {
            batch = clusters.page(page++, 100);
            batch.forEach(cluster -> view.offer(Snapshots.topology(cluster, cluster.updatedAt, null, null)));
        } while (batch.size() == 100);
    }

    /** The next revision of the cluster's topology, announced through the outbox in this transaction. */
    private TopologyChanged publish(ClusterEntity cluster, Instant now, String reason, java.util.UUID operationId) {
        cluster.revision = cluster.revision + 1;
        TopologyChanged snapshot = Snapshots.topology(cluster, now, reason, operationId);
        outbox.append(snapshot, now);
        return snapshot;
    }

    /** A committed topology change and the cluster row it left: what a later single-statement write checks. */
    public record Committed(TopologyChanged snapshot, String previousLeader, long version, Instant createdAt) {
    }

    /**
     * Applies the given leader and roles if the cluster is still at {@code expectedEpoch}, holding the
     * cluster row's lock: a new leader moves the epoch to {@code expectedEpoch + 1}, a role-only change
     * keeps it (both move the revision). Refuses with 409 and the current epoch when another writer got
     * there first, and with 409 when the request names an operation it no longer owns. The usual entry
     * is {@link TopologyWrites}, which tries a single statement first.
     */
    @Transactional
    public Committed compareAndSet(String clusterId, TopologyUpdateRequest request) {
        ClusterEntity cluster = clusters.requireForUpdate(clusterId);
        if (cluster.epoch != request.expectedEpoch()) {
            throw epochMismatch(clusterId, request.expectedEpoch(), cluster.epoch, cluster.leaderNode);
        }
        if (request.ownerToken() != null) {
            operations.requireOwner(clusterId, request.operationId(), request.ownerToken());
        }
        TopologyTransition.validate(clusterId, cluster.nodes.stream().map(n -> n.name).toList(), request);
        Instant now = Instant.now();
        String previousLeader = cluster.leaderNode;
        for (NodeEntity node : cluster.nodes) {
            NodeRole role = TopologyTransition.nextRole(node.name, node.role, previousLeader, request);
            if (role != node.role) {
                node.role = role;
                node.updatedAt = now;
            }
        }
        if (TopologyTransition.changesLeader(previousLeader, request)) {
            cluster.epoch = cluster.epoch + 1;
        }
        cluster.leaderNode = request.leader();
        cluster.updatedAt = now;
        TopologyChanged snapshot = publish(cluster, now, TopologyTransition.reason(request, previousLeader),
                request.operationId());
        entityManager.flush(); // assigns the row's new version, which the next write may build on
        return new Committed(snapshot, previousLeader, cluster.version, cluster.createdAt);
    }

    static ProblemException epochMismatch(String clusterId, long expected, long current, String currentLeader) {
        return new ProblemException(409, "Epoch mismatch", "Cluster '" + clusterId + "' is at epoch " + current
                + ", not " + expected + ": another change won. Re-read GET /api/v1/clusters/" + clusterId
                + "/topology and decide again.",
                Map.of("code", "epoch-mismatch", "currentEpoch", current, "currentLeader",
                        currentLeader == null ? "" : currentLeader));
    }

    private NodeEntity newNode(ClusterEntity cluster, NodeRequest request, NodeRole role, Instant now) {
        NodeEntity node = new NodeEntity();
        node.cluster = cluster;
        node.name = request.name();
        node.host = request.host();
        node.port = request.port();
        node.zone = request.zone();
        node.priority = request.priority() == null ? 100 : request.priority();
        node.tags = request.tags() == null ? new ArrayList<>() : new ArrayList<>(request.tags());
        node.role = role;
        node.createdAt = now;
        node.updatedAt = now;
        return node;
    }

    private static void requireDistinctEndpoints(ClusterEntity cluster) {
        Set<String> endpoints = new HashSet<>();
        for (NodeEntity node : cluster.nodes) {
            if (!endpoints.add(node.host + ":" + node.port)) {
                throw ProblemException.unprocessable("port", "two nodes of cluster '" + cluster.id + "' would both "
                        + "be at " + node.host + ":" + node.port);
            }
        }
    }

    /**
     * A leader that waits for k standbys where fewer exist can never acknowledge a commit: synchronous ANY k
     * needs at least k nodes besides the leader (checked once nodes are registered; an empty cluster gets
     * its nodes later, and each removal is checked).
     */
    private static void requireEnoughStandbys(ClusterEntity cluster, String field) {
        int standbys = Math.max(0, cluster.nodes.size() - 1);
        if (cluster.replicationMode == ReplicationMode.SYNC_ANY && !cluster.nodes.isEmpty()
                && cluster.syncCount > standbys) {
            throw ProblemException.unprocessable(field, "synchronous ANY " + cluster.syncCount + " needs at least "
                    + cluster.syncCount + " standbys, but cluster '" + cluster.id + "' would have " + standbys + " ("
                    + cluster.nodes.size() + " node(s), one of them leads): its leader could never acknowledge a "
                    + "commit; add nodes first or lower replication.syncCount");
        }
    }

    private static void applyReplication(ClusterEntity cluster, ReplicationDto replication) {
        cluster.replicationMode = replication.mode();
        cluster.syncCount = replication.syncCount();
    }

    private static void applyPolicy(ClusterEntity cluster, FailoverPolicyDto policy) {
        if (policy == null) {
            return;
        }
        if (policy.automatic() != null) {
            cluster.automaticFailover = policy.automatic();
        }
        if (policy.detectionWindowMillis() != null) {
            cluster.detectionWindowMillis = policy.detectionWindowMillis();
        }
        if (policy.observerQuorum() != null) {
            cluster.observerQuorum = policy.observerQuorum();
        }
        if (policy.maxLagOnFailoverBytes() != null) {
            cluster.maxLagOnFailoverBytes = policy.maxLagOnFailoverBytes();
        }
        if (policy.rpoZeroRequired() != null) {
            cluster.rpoZeroRequired = policy.rpoZeroRequired();
        }
        if (policy.autoRejoin() != null) {
            cluster.autoRejoin = policy.autoRejoin();
        }
    }

    private void storeCredentials(String clusterId, CredentialsDto credentials, Instant now) {
        if (credentials == null) {
            return;
        }
        if (!cipher.configured()) {
            throw new ProblemException(503, "Credentials storage not configured", "This registry has no "
                    + "encryption key (regent.registry.credentials.key), so it refuses to store credentials. "
                    + "Configure a key, or use credentialsRef to point agents at a secret.", Map.of());
        }
        CredentialsEntity row = entityManager.find(CredentialsEntity.class, clusterId);
        boolean isNew = row == null;
        if (isNew) {
            row = new CredentialsEntity();
        }
        cipher.encryptInto(row, clusterId, new CredentialsCipher.Plain(credentials.username(),
                credentials.password()));
        row.updatedAt = now;
        if (isNew) {
            entityManager.persist(row);
        }
    }
}
