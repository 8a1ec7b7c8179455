package io.regent.registry.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.regent.events.NodeRole;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.registry.repository.CompareAndSetStatement;
import io.regent.registry.rest.dto.TopologyUpdateRequest;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Topology compare-and-set, the registry's hot write. When this instance committed the cluster's
 * last change itself, it knows the whole row and builds the next snapshot from memory: one
 * auto-committed statement ({@link CompareAndSetStatement}) applies it only if the row is still
 * that one. Otherwise - first write after a start, another instance's or another kind of change,
 * a stale epoch, an invalid request - the locking path ({@link ClusterService#compareAndSet})
 * decides from the database and answers every refusal. Both apply {@link TopologyTransition}.
 */
@ApplicationScoped
public class TopologyWrites {

    private static final Logger LOG = Logger.getLogger(TopologyWrites.class);

    /** The cluster row as of this instance's last committed compare-and-set, with the snapshot it holds. */
    private record Known(long version, Instant createdAt, TopologyChanged snapshot) {
    }

    private final Map<String, Known> known = new ConcurrentHashMap<>();
    private final ClusterService clusters;
    private final CompareAndSetStatement statement;
    private final OutboxWriter outbox;
    private final TopologyView view;
    private final Counter singleStatement;
    private final Counter locking;

    public TopologyWrites(ClusterService clusters, CompareAndSetStatement statement, OutboxWriter outbox,
            TopologyView view, MeterRegistry meters) {
        this.clusters = clusters;
        this.statement = statement;
        this.outbox = outbox;
        this.view = view;
        this.singleStatement = Counter.builder("regent.topology.compare.and.set").tag("path", "single-statement")
                .description("Topology compare-and-sets committed in one statement").register(meters);
        this.locking = Counter.builder("regent.topology.compare.and.set").tag("path", "locking")
                .description("Topology compare-and-sets that read the cluster under its lock").register(meters);
    }

    public TopologyChanged compareAndSet(String clusterId, TopologyUpdateRequest request) {
        Known last = known.get(clusterId);
        // a change by a claimed operation is checked against its owner in the database: the locking path
        if (last != null && last.snapshot().epoch() == request.expectedEpoch() && request.ownerToken() == null) {
            Optional<TopologyChanged> applied = applyInOneStatement(clusterId, last, request);
            if (applied.isPresent()) {
                singleStatement.increment();
                return applied.get();
            }
        }
        ClusterService.Committed committed = clusters.compareAndSet(clusterId, request);
        locking.increment();
        remember(clusterId, new Known(committed.version(), committed.createdAt(), committed.snapshot()));
        logged(committed.snapshot(), committed.previousLeader());
        return committed.snapshot();
    }

    /** The cluster was deleted here: a new one under the same id must not be mistaken for it. */
    public void forget(String clusterId) {
        known.remove(clusterId);
    }

    private Optional<TopologyChanged> applyInOneStatement(String clusterId, Known last, TopologyUpdateRequest request) {
        TopologyChanged before = last.snapshot();
        try {
            TopologyTransition.validate(clusterId, before.nodes().stream().map(TopologyNode::name).toList(), request);
        } catch (ProblemException invalid) {
            return Optional.empty(); // the locking path refuses it against the database's nodes, not memory
        }
        Instant now = Instant.now();
        Map<String, NodeRole> changed = new LinkedHashMap<>();
        List<TopologyNode> nodes = new ArrayList<>(before.nodes().size());
        for (TopologyNode node : before.nodes()) {
            NodeRole role = TopologyTransition.nextRole(node.name(), node.role(), before.leader(), request);
            if (role != node.role()) {
                changed.put(node.name(), role);
            }
            nodes.add(Snapshots.node(node.name(), node.host(), node.port(), node.zone(), role, node.priority(),
                    request.leader(), node.tags()));
        }
        long epoch = TopologyTransition.changesLeader(before.leader(), request) ? before.epoch() + 1 : before.epoch();
        TopologyChanged after = new TopologyChanged(clusterId, epoch, before.engine(), request.leader(),
                nodes, before.replication(), before.maintenance(), now,
                TopologyTransition.reason(request, before.leader()), request.operationId(), before.revision() + 1);
        boolean applied;
        try {
            applied = statement.apply(new CompareAndSetStatement.Expected(clusterId, before.epoch(), last.version(),
                    last.createdAt()), after, changed, outbox.encode(after, now));
        } catch (SQLException e) {
            // not retried on the locking path: the statement may have committed before the error reached us
            LOG.warnf("compare-and-set of cluster %s failed in the database: %s", clusterId, e.toString());
            throw new ProblemException(503, "Registry database unavailable", "The registry could not complete "
                    + "this change in its database; it may or may not have been applied. Re-read GET /api/v1/clusters/"
                    + clusterId + "/topology before deciding again.", Map.of());
        }
        if (!applied) {
            known.remove(clusterId, last);
            return Optional.empty();
        }
        remember(clusterId, new Known(last.version() + 1, last.createdAt(), after));
        view.offer(after);
        outbox.wakeRelay();
        logged(after, before.leader());
        return Optional.of(after);
    }

    /** Keeps the newest row version seen: concurrent writers finish in any order. */
    private void remember(String clusterId, Known next) {
        known.merge(clusterId, next, (current, candidate) -> candidate.version() > current.version()
                || !candidate.createdAt().equals(current.createdAt()) ? candidate : current);
    }

    private static void logged(TopologyChanged snapshot, String previousLeader) {
        if (java.util.Objects.equals(previousLeader, snapshot.leader())) {
            LOG.infof("cluster %s: revision %d at epoch %d, leader %s (%s)", snapshot.clusterId(), snapshot.revision(),
                    snapshot.epoch(), snapshot.leader(), snapshot.reason());
        } else {
            LOG.infof("cluster %s: epoch %d -> %d, leader %s -> %s (%s)", snapshot.clusterId(), snapshot.epoch() - 1,
                    snapshot.epoch(), previousLeader, snapshot.leader(), snapshot.reason());
        }
    }
}
