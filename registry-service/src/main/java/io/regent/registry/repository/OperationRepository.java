package io.regent.registry.repository;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.regent.events.OperationKind;
import io.regent.events.OperationStatus;
import io.regent.registry.domain.OperationEntity;
import io.regent.registry.service.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
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

    /** The cluster's unfinished failover or switchover, if any: at most one changes the leader at a time. */
    public Optional<OperationEntity> runningLeaderChange(String clusterId) {
        return find("clusterId = ?1 and status = ?2 and kind in ?3", clusterId,
                OperationStatus.RUNNING,
                List.of(OperationKind.FAILOVER, OperationKind.SWITCHOVER))
                .firstResultOptional();
    }

    public long countOfCluster(String clusterId) {
        return count("clusterId", clusterId);
    }
}
