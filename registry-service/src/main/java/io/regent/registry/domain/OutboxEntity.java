package io.regent.registry.domain;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** An event waiting to be published, written in the transaction of the change it announces. */
@Entity
@Table(name = "outbox")
public class OutboxEntity {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "event_id", nullable = false)
    public UUID eventId;

    @Column(nullable = false)
    public String topic;

    @Column(name = "event_key", nullable = false)
    public String eventKey;

    /** The encoded CloudEvent; null is a tombstone (a deleted cluster on the compacted topic). */
    public byte[] payload;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    /** The registry process that wrote it ({@code TopologyFeed.ORIGIN_HEADER} on the published record). */
    public String origin;

    @Column(name = "sent_at")
    public Instant sentAt;
}
