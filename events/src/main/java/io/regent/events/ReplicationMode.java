package io.regent.events;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;

/** How a leader waits for its followers before acknowledging a commit. */
public enum ReplicationMode {
    /** Commits are acknowledged on the leader alone. */
    ASYNC,
    /** {@code synchronous_standby_names = 'ANY k (…)'}: k followers confirm every commit. */
    SYNC_ANY,
    @JsonEnumDefaultValue
    UNKNOWN
}
