package io.regent.events;

/** Names of the phases operations go through, in order. */
public final class Phases {
    public static final String DETECTED = "detected";
    public static final String DECIDED = "decided";
    public static final String FENCED = "fenced";
    /** A failover waited for the old leader's lease to run out before promoting (only when there was one). */
    public static final String LEASE_EXPIRED = "lease-expired";
    /** A switchover's target has replayed everything the fenced leader acknowledged. */
    public static final String CAUGHT_UP = "caught-up";
    public static final String PROMOTED = "promoted";
    public static final String REPOINTED = "repointed";
    public static final String ANNOUNCED = "announced";
    public static final String REJOINED = "rejoined";

    // a rejoin or rebuild, carried out by the node's own agent
    public static final String STOPPED = "stopped";
    public static final String REWOUND = "rewound";
    public static final String REBUILT = "rebuilt";
    public static final String STARTED = "started";
    public static final String STREAMING = "streaming";

    private Phases() {
    }
}
