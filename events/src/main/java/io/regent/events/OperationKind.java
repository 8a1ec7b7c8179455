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
    @JsonEnumDefaultValue
    UNKNOWN
}
