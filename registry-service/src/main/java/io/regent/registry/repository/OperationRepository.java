package io.regent.registry.repository;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.regent.registry.domain.OperationEntity;
import io.regent.registry.service.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
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

    public long countOfCluster(String clusterId) {
        return count("clusterId", clusterId);
    }
}
