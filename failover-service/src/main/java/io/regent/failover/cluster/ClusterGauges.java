package io.regent.failover.cluster;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.TopologyNode;
import io.regent.failover.decision.ClusterSnapshot;
import io.regent.failover.decision.Sighting;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What an operator graphs about each cluster this instance owns, from the facts its decisions read: the
 * registry's topology and the agents' fresh sightings (docs/configuration.md lists them with their labels).
 * Only the owner reports a cluster, so each series exists once in the fleet; a cluster released, deleted or a
 * node removed loses its series at the next {@link #refresh}. Unknown stays absent (a node no agent saw lately
 * has no {@code regent_node_reachable}): absent is not zero.
 */
@ApplicationScoped
public class ClusterGauges {

    /** One value of one gauge. */
    public record Sample(String name, Tags tags, double value) {
        public Sample {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(tags, "tags");
        }
    }

    /** Every gauge this class sets, with its help text. */
    static final Map<String, String> GAUGES = gauges();

    private final Map<String, MultiGauge> registered = new LinkedHashMap<>();

    public ClusterGauges(MeterRegistry metrics) {
        GAUGES.forEach((name, help) -> registered.put(name, MultiGauge.builder(name).description(help)
                .register(metrics)));
    }

    private static Map<String, String> gauges() {
        Map<String, String> gauges = new LinkedHashMap<>();
        gauges.put("regent_cluster_epoch", "leader epoch in the registry");
        gauges.put("regent_cluster_leader", "1 for the node the registry names leader (label node)");
        gauges.put("regent_cluster_healthy_followers", "followers an agent reached lately, streaming");
        gauges.put("regent_cluster_observers", "agents that reported on the cluster lately");
        gauges.put("regent_cluster_maintenance", "1 while automatic failover is suspended");
        gauges.put("regent_cluster_operation_running", "1 while a failover, switchover or unfence runs");
        gauges.put("regent_cluster_last_failover_timestamp_seconds", "when the last failover this instance knows "
                + "of ended (Unix seconds)");
        gauges.put("regent_node_role", "1 for the node's role in the registry (label role)");
        gauges.put("regent_node_reachable", "1 if an agent got an answer from the node lately (an error "
                + "answered is life too), 0 if agents tried and none did; absent when no agent reported lately");
        gauges.put("regent_node_timeline", "the node's timeline (PostgreSQL) as last probed");
        gauges.put("regent_node_read_only", "1 if the node refused writes when last probed (a follower, or a leader "
                + "fenced), 0 if it took them");
        gauges.put("regent_node_lag_bytes", "WAL received by the follower and not replayed yet, or behind the "
                + "leader (PostgreSQL)");
        gauges.put("regent_node_lag_transactions", "transactions received by the replica and not applied yet "
                + "(MariaDB)");
        gauges.put("regent_node_lag_seconds", "how far the follower's replay is behind, in time");
        gauges.put("regent_node_wal_position_bytes", "the node's WAL position (label kind: current, received, "
                + "replayed)");
        gauges.put("regent_node_streaming", "1 if the follower's WAL receiver streams, 0 if not");
        return Map.copyOf(gauges);
    }

    /** Sets every gauge from {@code snapshots} (the owned, loaded clusters): series of anything else go. */
    public synchronized void refresh(Collection<ClusterSnapshot> snapshots, Instant now) {
        Map<String, List<MultiGauge.Row<?>>> rows = new LinkedHashMap<>();
        GAUGES.keySet().forEach(name -> rows.put(name, new ArrayList<>()));
        for (ClusterSnapshot snapshot : snapshots) {
            for (Sample sample : samples(snapshot, now)) {
                rows.get(sample.name()).add(MultiGauge.Row.of(sample.tags(), sample.value()));
            }
        }
        rows.forEach((name, values) -> registered.get(name).register(values, true));
    }

    /** The gauges' values for one cluster: pure, for the table-driven test. */
    public static List<Sample> samples(ClusterSnapshot snapshot, Instant now) {
        List<Sample> samples = new ArrayList<>();
        String cluster = snapshot.clusterId();
        Tags clusterTags = Tags.of("cluster", cluster);
        String leader = snapshot.topology().leader();
        samples.add(new Sample("regent_cluster_epoch", clusterTags, snapshot.epoch()));
        if (leader != null) {
            samples.add(new Sample("regent_cluster_leader", clusterTags.and("node", leader), 1));
        }
        samples.add(new Sample("regent_cluster_maintenance", clusterTags, snapshot.topology().maintenance() ? 1 : 0));
        samples.add(new Sample("regent_cluster_operation_running", clusterTags,
                snapshot.runningOperation() == null ? 0 : 1));
        if (snapshot.lastFailoverAt() != null) {
            samples.add(new Sample("regent_cluster_last_failover_timestamp_seconds", clusterTags,
                    snapshot.lastFailoverAt().toEpochMilli() / 1000.0));
        }
        Set<String> observers = new TreeSet<>();
        int healthyFollowers = 0;
        for (TopologyNode node : snapshot.topology().nodes()) {
            Tags nodeTags = clusterTags.and("node", node.name());
            samples.add(new Sample("regent_node_role", nodeTags.and("role", node.role().name()), 1));
            List<Sighting> fresh = snapshot.freshSightingsOf(node.name(), now);
            fresh.forEach(s -> observers.add(s.agent()));
            if (fresh.isEmpty()) {
                continue; // unknown: no series rather than a zero that reads as "down"
            }
            Optional<NodeObserved> latest = fresh.stream().filter(Sighting::reachable)
                    .max(Comparator.comparing(Sighting::receivedAt)).map(Sighting::latest);
            // an answer - even an error the server reported - is life, never death (DESIGN.md)
            boolean answered = fresh.stream().anyMatch(s -> s.reachable() || s.unhealthy());
            samples.add(new Sample("regent_node_reachable", nodeTags, answered ? 1 : 0));
            if (latest.isEmpty()) {
                continue;
            }
            NodeObserved seen = latest.get();
            boolean follower = !node.name().equals(leader) && node.role() != NodeRole.LEADER;
            addIfKnown(samples, "regent_node_timeline", nodeTags, seen.timeline());
            addIfKnown(samples, "regent_node_read_only", nodeTags, seen.readOnly() == null ? null
                    : seen.readOnly() ? 1 : 0);
            addIfKnown(samples, seen.engine() == Engine.MARIADB ? "regent_node_lag_transactions"
                    : "regent_node_lag_bytes", nodeTags, follower ? seen.lagBytes() : null);
            addIfKnown(samples, "regent_node_lag_seconds", nodeTags,
                    follower && seen.lagMillis() != null ? seen.lagMillis() / 1000.0 : null);
            if (seen.engine() != Engine.MARIADB) { // a GTID sequence is no byte position
                addIfKnown(samples, "regent_node_wal_position_bytes", nodeTags.and("kind", "current"),
                        seen.currentLsn());
                addIfKnown(samples, "regent_node_wal_position_bytes", nodeTags.and("kind", "received"),
                        seen.receivedLsn());
                addIfKnown(samples, "regent_node_wal_position_bytes", nodeTags.and("kind", "replayed"),
                        seen.replayedLsn());
            }
            if (follower) {
                boolean streaming = seen.walReceiver() != null && "streaming".equals(seen.walReceiver().status());
                samples.add(new Sample("regent_node_streaming", nodeTags, streaming ? 1 : 0));
                if (streaming && node.role() == NodeRole.FOLLOWER) {
                    healthyFollowers++;
                }
            }
        }
        samples.add(new Sample("regent_cluster_healthy_followers", clusterTags, healthyFollowers));
        samples.add(new Sample("regent_cluster_observers", clusterTags, observers.size()));
        return samples;
    }

    private static void addIfKnown(List<Sample> samples, String name, Tags tags, Number value) {
        if (value != null) {
            samples.add(new Sample(name, tags, value.doubleValue()));
        }
    }
}
