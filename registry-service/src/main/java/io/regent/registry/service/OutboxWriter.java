package io.regent.registry.service;

import io.regent.events.EventCodec;
import io.regent.events.EventType;
import io.regent.events.RegentEvent;
import io.regent.events.Topics;
import io.regent.registry.config.RegistryConfig;
import io.regent.registry.domain.OutboxEntity;
import io.regent.registry.repository.OutboxRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.net.URI;
import java.time.Instant;
import java.util.UUID;

/**
 * Writes events into the outbox inside the caller's transaction: they are published if and only
 * if the change they announce commits. After a commit the relay is woken at once, so publishing
 * does not wait for its next poll.
 */
@ApplicationScoped
public class OutboxWriter {

    /** Fired after a transaction that wrote outbox rows commits. */
    public record OutboxCommitted() {
    }

    private final OutboxRepository outbox;
    private final TransactionSynchronizationRegistry transactions;
    private final Event<OutboxCommitted> committed;
    private final EventCodec codec;

    public OutboxWriter(OutboxRepository outbox, TransactionSynchronizationRegistry transactions,
            Event<OutboxCommitted> committed, RegistryConfig config) {
        this.outbox = outbox;
        this.transactions = transactions;
        this.committed = committed;
        this.codec = new EventCodec(URI.create(config.outbox().source()));
    }

    public void append(RegentEvent event, Instant at) {
        UUID id = UUID.randomUUID();
        write(id, EventType.of(event).topic().name(), event.clusterId(), codec.encode(event, id.toString(), at), at);
    }

    /** A tombstone on the compacted topology topic: the cluster is gone. */
    public void topologyTombstone(String clusterId, Instant at) {
        write(UUID.randomUUID(), Topics.TOPOLOGY.name(), clusterId, null, at);
    }

    private void write(UUID id, String topic, String key, byte[] payload, Instant at) {
        OutboxEntity row = new OutboxEntity();
        row.eventId = id;
        row.topic = topic;
        row.eventKey = key;
        row.payload = payload;
        row.createdAt = at;
        outbox.persist(row);
        Object marker = OutboxWriter.class;
        if (transactions.getResource(marker) == null) {
            transactions.putResource(marker, Boolean.TRUE);
            transactions.registerInterposedSynchronization(new Synchronization() {
                @Override
                public void beforeCompletion() {
                }

                @Override
                public void afterCompletion(int status) {
                    if (status == Status.STATUS_COMMITTED) {
                        committed.fire(new OutboxCommitted());
                    }
                }
            });
        }
    }
}
