package io.regent.engines;

import io.regent.events.Engine;

/**
 * What this version of Regent can do to an engine's nodes - static facts the pure decision code
 * reads, so that no engine is special-cased outside this module.
 *
 * @param failoverActions  promote, follow and fence exist: failovers happen; without them the engine is observed only
 * @param switchover       a write barrier and a wait for it exist: planned switchovers lose nothing
 * @param rejoinsRemotely  a replaced leader rejoins from the control plane ({@link EngineAdapter#rejoin});
 *                         otherwise the node agent next to it does (PostgreSQL's pg_rewind needs its files)
 * @param synchronousReplicas at most this many replicas a commit can wait for ({@code ANY k}); 0 = asynchronous only
 * @param positionUnit     what a difference of two positions counts ({@code NodeObserved} positions, lag,
 *                         the policy's maximum lag on failover): bytes of WAL, or transactions
 * @param stream           what followers receive from their leader, in the engine's words (for reasons)
 */
public record EngineCapabilities(boolean failoverActions, boolean switchover, boolean rejoinsRemotely,
        int synchronousReplicas, String positionUnit, String stream) {

    public static EngineCapabilities of(Engine engine) {
        return switch (engine) {
            case POSTGRESQL -> new EngineCapabilities(true, true, false, Integer.MAX_VALUE, "B", "WAL");
            case MARIADB -> new EngineCapabilities(true, true, true, 1, "transactions", // semi-sync: one acknowledgement
                    "binlog events");
            default -> new EngineCapabilities(false, false, false, 0, "B", "changes");
        };
    }
}
