package io.regent.registry.domain;

import io.regent.events.OperationKind;
import io.regent.events.OperationStatus;
import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.OrderColumn;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** A failover, switchover, rejoin … with the phases it went through. */
@Entity
@Table(name = "operation")
public class OperationEntity {

    @Id
    public UUID id;

    @Column(name = "cluster_id", nullable = false)
    public String clusterId;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public OperationKind kind;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public OperationStatus status;

    @Column(name = "from_node")
    public String fromNode;

    @Column(name = "to_node")
    public String toNode;

    @Column(name = "epoch_before")
    public Long epochBefore;

    @Column(name = "epoch_after")
    public Long epochAfter;

    @Column(nullable = false)
    public String initiator;

    public String reason;

    public String error;

    @Column(name = "started_at", nullable = false)
    public Instant startedAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    @Column(name = "finished_at")
    public Instant finishedAt;

    /** The failover-service instance carrying it out now; null until one claims it. */
    public String owner;

    /** Fencing token of the current claim: grows with every claim, so a former owner's token is always lower. */
    @Column(name = "owner_token")
    public Long ownerToken;

    /** Until when (on the registry database's clock) no other instance may claim it. */
    @Column(name = "lease_expires_at")
    public Instant leaseExpiresAt;

    @ElementCollection(fetch = FetchType.EAGER)
    @CollectionTable(name = "operation_phase", joinColumns = @JoinColumn(name = "operation_id"))
    @OrderColumn(name = "seq")
    public List<PhaseEmbeddable> phases = new ArrayList<>();
}
