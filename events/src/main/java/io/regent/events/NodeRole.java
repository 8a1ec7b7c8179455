package io.regent.events;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;

/**
 * The role of a node. A probe only ever reports {@link #LEADER}, {@link #FOLLOWER} or
 * {@link #UNKNOWN}; the registry additionally marks nodes {@link #FENCED} or {@link #NEEDS_REJOIN}.
 */
public enum NodeRole {
    LEADER,
    FOLLOWER,
    /** Was leader of an older epoch and has been made read-only. */
    FENCED,
    /** Diverged from the current leader's history (an old leader): must be rewound or rebuilt. */
    NEEDS_REJOIN,
    @JsonEnumDefaultValue
    UNKNOWN
}
