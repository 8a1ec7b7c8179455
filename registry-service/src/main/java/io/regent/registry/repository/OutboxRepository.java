package io.regent.registry.repository;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.regent.registry.domain.OutboxEntity;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;

@ApplicationScoped
public class OutboxRepository implements PanacheRepositoryBase<OutboxEntity, Long> {

    /** The oldest unsent rows, in the order they must be published. */
    public List<OutboxEntity> unsent(int limit) {
        return find("sentAt is null", Sort.by("id")).page(Page.ofSize(limit)).list();
    }

    public int markSent(List<Long> ids, Instant at) {
        return update("sentAt = ?1 where id in ?2", at, ids);
    }

    public long backlog() {
        return count("sentAt is null");
    }
}
