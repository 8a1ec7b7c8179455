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
     * The cluster row locked until the transaction ends (every change that writes an outbox row takes
     * this lock first, so outbox ids of one cluster are in commit order), then its nodes - read after the lock, so they
     * are current - by a join fetch whose plan Hibernate caches. (Loading the nodes lazily instead
     * made Hibernate build a new collection loader, SQL translation included, on every write: half
     * of a compare-and-set's CPU. One locking join fetch is no better: Hibernate locks in a
     * follow-on select, after reading the nodes.)
     */
    public ClusterEntity requireForUpdate(String id) {
        ClusterEntity cluster = findByIdOptional(id, LockModeType.PESSIMISTIC_WRITE)
                .orElseThrow(() -> ProblemException.notFound("Cluster", id));
        // no firstResult(): a row limit with a collection fetch is applied in memory, with a warning, every time
        find("select c from ClusterEntity c left join fetch c.nodes where c.id = ?1", id).list();
        return cluster;
    }

    /** The cluster with its nodes in one query, for reads. */
    public ClusterEntity requireWithNodes(String id) {
        return find("select c from ClusterEntity c left join fetch c.nodes where c.id = ?1", id)
                .singleResultOptional().orElseThrow(() -> ProblemException.notFound("Cluster", id));
    }

    public List<ClusterEntity> page(int page, int size) {
        return findAll(Sort.by("id")).page(Page.of(page, size)).list();
    }
}
