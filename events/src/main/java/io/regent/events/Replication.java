package io.regent.events;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Objects;

/**
 * A cluster's replication settings.
 *
 * @param mode      asynchronous or synchronous quorum
 * @param syncCount k in {@code ANY k (…)}; zero in asynchronous mode
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Replication(ReplicationMode mode, int syncCount) {

    public static final Replication ASYNC = new Replication(ReplicationMode.ASYNC, 0);

    public Replication {
        Objects.requireNonNull(mode, "mode");
        if (mode == ReplicationMode.SYNC_ANY && syncCount < 1) {
            throw new IllegalArgumentException("synchronous mode needs syncCount >= 1, got " + syncCount);
        }
        if (syncCount < 0) {
            throw new IllegalArgumentException("syncCount must not be negative, got " + syncCount);
        }
    }

    public static Replication syncAny(int k) {
        return new Replication(ReplicationMode.SYNC_ANY, k);
    }
}
