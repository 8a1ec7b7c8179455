package io.regent.registry.repository;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import io.regent.registry.domain.OutboxEntity;
import jakarta.enterprise.context.ApplicationScoped;

@ApplicationScoped
public class OutboxRepository implements PanacheRepositoryBase<OutboxEntity, Long> {

    public long backlog() {
        return count("sentAt is null");
    }
}
