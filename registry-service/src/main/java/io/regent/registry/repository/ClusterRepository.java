package io.regent.registry.repository;

import io.quarkus.hibernate.orm.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Sort;
import io.regent.registry.domain.ClusterEntity;
import io.regent.registry.service.ProblemException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.List;

@ApplicationScoped
public class ClusterRepository implements PanacheRepositoryBase<ClusterEntity, String> {

    /** The cluster, or a 404 problem. */
    public ClusterEntity require(String id) {
        return findByIdOptional(id).orElseThrow(() -> ProblemException.notFound("Cluster", id));
    }

    /**
     * The cluster with its row locked until the transaction ends. Every change that writes an
     * outbox row takes this lock first, so outbox ids of one cluster are in commit order.
     */
    public ClusterEntity requireForUpdate(String id) {
        return findByIdOptional(id, LockModeType.PESSIMISTIC_WRITE)
                .orElseThrow(() -> ProblemException.notFound("Cluster", id));
    }

    /** The cluster with its nodes in one query, for reads. */
    public ClusterEntity requireWithNodes(String id) {
        return find("select distinct c from ClusterEntity c left join fetch c.nodes where c.id = ?1", id)
                .firstResultOptional().orElseThrow(() -> ProblemException.notFound("Cluster", id));
    }

    public List<ClusterEntity> page(int page, int size) {
        return findAll(Sort.by("id")).page(Page.of(page, size)).list();
    }
}
