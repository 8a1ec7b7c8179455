package io.regent.registry.repository;

import io.regent.registry.rest.dto.LeaderLeaseResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;

/** The leader leases, on the registry database's clock (table {@code leader_lease}). */
@ApplicationScoped
public class LeaderLeaseRepository {

    private final EntityManager entityManager;

    public LeaderLeaseRepository(EntityManager entityManager) {
        this.entityManager = entityManager;
    }

    /** Grants {@code lease} from now to {@code holder} for {@code node} at {@code epoch}, replacing any other. */
    public LeaderLeaseResponse grant(String clusterId, String node, long epoch, String holder, Duration lease) {
        entityManager.createNativeQuery("""
                INSERT INTO leader_lease (cluster_id, node, epoch, holder, expires_at)
                VALUES (?1, ?2, ?3, ?4, clock_timestamp() + ?5 * interval '1 millisecond')
                ON CONFLICT (cluster_id) DO UPDATE SET node = EXCLUDED.node, epoch = EXCLUDED.epoch,
                    holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at""")
                .setParameter(1, clusterId).setParameter(2, node).setParameter(3, epoch).setParameter(4, holder)
                .setParameter(5, lease.toMillis()).executeUpdate();
        return find(clusterId);
    }

    /** The cluster's lease and how long it still runs (negative: ran out that long ago). */
    public LeaderLeaseResponse find(String clusterId) {
        @SuppressWarnings("unchecked")
        List<Object[]> rows = entityManager.createNativeQuery("""
                SELECT node, epoch, holder, expires_at,
                       floor(extract(epoch FROM expires_at - clock_timestamp()) * 1000)::bigint
                FROM leader_lease WHERE cluster_id = ?1""").setParameter(1, clusterId).getResultList();
        if (rows.isEmpty()) {
            return LeaderLeaseResponse.none(clusterId);
        }
        Object[] row = rows.get(0);
        return new LeaderLeaseResponse(clusterId, (String) row[0], ((Number) row[1]).longValue(), (String) row[2],
                instant(row[3]), ((Number) row[4]).longValue());
    }

    /** Gives the lease up if {@code holder} holds it; whether it did. */
    public boolean release(String clusterId, String holder) {
        return entityManager.createNativeQuery("DELETE FROM leader_lease WHERE cluster_id = ?1 AND holder = ?2")
                .setParameter(1, clusterId).setParameter(2, holder).executeUpdate() > 0;
    }

    private static Instant instant(Object value) {
        return value instanceof OffsetDateTime odt ? odt.toInstant()
                : value instanceof java.sql.Timestamp ts ? ts.toInstant() : (Instant) value;
    }
}
