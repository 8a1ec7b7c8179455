package io.regent.registry.messaging;

import io.regent.registry.domain.OutboxEntity;
import io.regent.registry.repository.OutboxRepository;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Instant;
import java.util.List;

/** Short transactions for the relay: read a batch, mark it sent. Never held open while publishing. */
@ApplicationScoped
public class OutboxStore {

    /** An outbox row, detached from the persistence context. */
    public record Message(long id, String eventId, String topic, String key, byte[] payload) {
    }

    private final OutboxRepository outbox;

    public OutboxStore(OutboxRepository outbox) {
        this.outbox = outbox;
    }

    @Transactional
    public List<Message> nextBatch(int limit) {
        return outbox.unsent(limit).stream()
                .map((OutboxEntity row) -> new Message(row.id, row.eventId.toString(), row.topic, row.eventKey,
                        row.payload))
                .toList();
    }

    @Transactional
    public void markSent(List<Long> ids) {
        if (!ids.isEmpty()) {
            outbox.markSent(ids, Instant.now());
        }
    }

    @Transactional
    public long backlog() {
        return outbox.backlog();
    }
}
