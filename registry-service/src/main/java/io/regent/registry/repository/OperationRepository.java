package io.regent.registry.repository;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.regent.events.OperationKind;
import io.regent.events.OperationStatus;
import io.regent.registry.domain.OperationEntity;
import io.regent.registry.service.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

@ApplicationScoped
public class OperationRepository implements PanacheRepositoryBase<OperationEntity, UUID> {

    public OperationEntity require(UUID id) {
        return findByIdOptional(id).orElseThrow(() -> ProblemException.notFound("Operation", id.toString()));
    }

    /** Newest first. */
    public List<OperationEntity> pageOfCluster(String clusterId, int page, int size) {
        return find("clusterId", Sort.descending("startedAt").and("id", Sort.Direction.Descending), clusterId)
                .page(Page.of(page, size)).list();
    }

    /** Operations that change or restore the leader: at most one of them runs per cluster at a time. */
    public static final List<OperationKind> LEADER_CHANGES = List.of(OperationKind.FAILOVER, OperationKind.SWITCHOVER,
            OperationKind.UNFENCE);

    /** The cluster's unfinished leader change, if any: at most one changes the leader at a time. */
    public Optional<OperationEntity> runningLeaderChange(String clusterId) {
        return find("clusterId = ?1 and status = ?2 and kind in ?3", clusterId,
                OperationStatus.RUNNING, LEADER_CHANGES)
                .firstResultOptional();
    }

    /** The registry database's clock: every lease is measured on this one clock, whichever replica asks. */
    public Instant databaseNow() {
        Object now = getEntityManager().createNativeQuery("SELECT clock_timestamp()").getSingleResult();
        return now instanceof java.time.OffsetDateTime odt ? odt.toInstant()
                : now instanceof java.sql.Timestamp ts ? ts.toInstant() : (Instant) now;
    }

    /** The next fencing token: larger than every token handed out before, for any operation. */
    public long nextOwnerToken() {
        return ((Number) getEntityManager().createNativeQuery("SELECT nextval('operation_owner_token')")
                .getSingleResult()).longValue();
    }

    public long countOfCluster(String clusterId) {
        return count("clusterId", clusterId);
    }
}
