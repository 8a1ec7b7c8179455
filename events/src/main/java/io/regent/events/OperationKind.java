package io.regent.events;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;

/** What an operation does to a cluster. */
public enum OperationKind {
    FAILOVER,
    SWITCHOVER,
    REJOIN,
    REBUILD,
    FENCE,
    BOOTSTRAP,
    /**
     * Makes the cluster's own leader writable again after Regent left it read-only (a failed step of a
     * leader change): a checked action of its own, never a side effect of a promotion.
     */
    UNFENCE,
    @JsonEnumDefaultValue
    UNKNOWN
}
