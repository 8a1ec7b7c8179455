package io.regent.registry.service;

import io.regent.events.EventCodec;
import io.regent.events.EventType;
import io.regent.events.RegentEvent;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.registry.config.RegistryConfig;
import io.regent.registry.domain.OutboxEntity;
import io.regent.registry.messaging.OutboxRelay;
import io.regent.registry.repository.OutboxRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Status;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Writes events into the outbox inside the caller's transaction: they are published if and only
 * if the change they announce commits. After a commit the relay is woken at once, so publishing
 * does not wait for its next poll.
 */
@ApplicationScoped
public class OutboxWriter {

    private final OutboxRepository outbox;
    private final TransactionSynchronizationRegistry transactions;
    private final OutboxRelay relay;
    private final EventCodec codec;
    private final TopologyView view;

    public OutboxWriter(OutboxRepository outbox, TransactionSynchronizationRegistry transactions,
            OutboxRelay relay, RegistryConfig config, TopologyView view) {
        this.outbox = outbox;
        this.view = view;
        this.transactions = transactions;
        this.relay = relay;
        this.codec = new EventCodec(URI.create(config.outbox().source()));
    }

    /** An outbox row, encoded: what {@link #append} persists, for a writer that inserts it itself. */
    public record Row(UUID eventId, String topic, String key, byte[] payload, Instant createdAt, String origin) {
    }

    public void append(RegentEvent event, Instant at) {
        Row row = encode(event, at);
        write(row.eventId(), row.topic(), row.key(), row.payload(), at);
        if (event instanceof TopologyChanged snapshot) {
            afterCommit(() -> view.offer(snapshot));
        }
    }

    public Row encode(RegentEvent event, Instant at) {
        UUID id = UUID.randomUUID();
        return new Row(id, EventType.of(event).topic().name(), event.clusterId(), codec.encode(event, id.toString(), at),
                at, view.origin());
    }

    /** Wakes the relay after a commit of rows inserted without this writer. */
    public void wakeRelay() {
        relay.wakeUp();
    }

    /** A tombstone on the compacted topology topic: the cluster is gone. */
    public void topologyTombstone(String clusterId, Instant at) {
        write(UUID.randomUUID(), Topics.TOPOLOGY.name(), clusterId, null, at);
        afterCommit(() -> view.forget(clusterId));
    }

    private void write(UUID id, String topic, String key, byte[] payload, Instant at) {
        OutboxEntity row = new OutboxEntity();
        row.eventId = id;
        row.topic = topic;
        row.eventKey = key;
        row.payload = payload;
        row.createdAt = at;
        row.origin = view.origin();
        outbox.persist(row);
        Object marker = OutboxWriter.class;
        if (transactions.getResource(marker) == null) {
            transactions.putResource(marker, Boolean.TRUE);
            afterCommit(relay::wakeUp); // once per transaction
        }
    }

    /** Runs after this transaction commits, in order; nothing happens on a rollback. */
    @SuppressWarnings("unchecked")
    private void afterCommit(Runnable action) {
        Object key = Runnable.class; // this transaction's after-commit actions
        List<Runnable> actions = (List<Runnable>) transactions.getResource(key);
        if (actions == null) {
            List<Runnable> pending = new ArrayList<>();
            transactions.putResource(key, pending);
            transactions.registerInterposedSynchronization(new Synchronization() {
                @Override
                public void beforeCompletion() {
                }

                @Override
                public void afterCompletion(int status) {
                    if (status == Status.STATUS_COMMITTED) {
                        pending.forEach(Runnable::run);
                    }
                }
            });
            actions = pending;
        }
        actions.add(action);
    }
}
