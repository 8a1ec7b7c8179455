package io.regent.registry.domain;

import io.regent.events.Engine;
import io.regent.events.ReplicationMode;
import jakarta.persistence.CascadeType;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.OneToMany;
import jakarta.persistence.OrderBy;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A replicated database cluster as the registry knows it. */
@Entity
@Table(name = "cluster")
public class ClusterEntity {

    @Id
    public String id;

    @Column(name = "display_name", nullable = false)
    public String displayName;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public Engine engine;

    @Enumerated(EnumType.STRING)
    @Column(name = "replication_mode", nullable = false)
    public ReplicationMode replicationMode;

    @Column(name = "sync_count", nullable = false)
    public int syncCount;

    @Column(name = "automatic_failover", nullable = false)
    public boolean automaticFailover;

    @Column(name = "detection_window_ms", nullable = false)
    public int detectionWindowMillis;

    @Column(name = "observer_quorum", nullable = false)
    public int observerQuorum;

    @Column(name = "max_lag_on_failover_bytes", nullable = false)
    public long maxLagOnFailoverBytes;

    @Column(name = "rpo_zero_required", nullable = false)
    public boolean rpoZeroRequired;

    @Column(name = "auto_rejoin", nullable = false)
    public boolean autoRejoin = true;

    @Column(nullable = false)
    public boolean maintenance;

    /** Leader epoch: incremented exactly once by every compare-and-set that changes the leader, by nothing else. */
    @Column(nullable = false)
    public long epoch;

    /** The topology document's version: incremented with every published snapshot (see {@code TopologyChanged.revision}). */
    @Column(nullable = false)
    public long revision;

    @Column(name = "leader_node")
    public String leaderNode;

    /** Where the node credentials come from, e.g. a Kubernetes secret name; never the secret itself. */
    @Column(name = "credentials_ref")
    public String credentialsRef;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    @Version
    public long version;

    @OneToMany(mappedBy = "cluster", cascade = CascadeType.ALL, orphanRemoval = true)
    @OrderBy("name")
    @org.hibernate.annotations.BatchSize(size = 100) // a page of clusters loads its nodes in one query
    public List<NodeEntity> nodes = new ArrayList<>();

    public Optional<NodeEntity> node(String name) {
        return nodes.stream().filter(n -> n.name.equals(name)).findFirst();
    }
}
