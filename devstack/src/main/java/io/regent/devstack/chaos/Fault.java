package io.regent.devstack.chaos;

/** The faults of the campaign, and whether Regent should answer each with a failover. */
public enum Fault {
    /** SIGKILL of the leader's server and all its processes. */
    KILL_LEADER(true),
    /** SIGSTOP of the leader for longer than the detection window, then SIGCONT: a zombie that must not take writes. */
    FREEZE_LEADER(true),
    /** SIGSTOP of one monitor agent for 10 s: one agent's silence is no evidence. */
    FREEZE_AGENT(false),
    /** SIGKILL of the owning failover-service while it fails over a killed leader, then a restart: the job gets finished. */
    KILL_FAILOVER_SERVICE_MID_OPERATION(true),
    /**
     * SIGKILL of the leader, then SIGSTOP of the failover-service instance that owns the cluster as soon as the
     * failover is on record: the other instance takes it over and completes it; the paused one is woken after
     * that and must touch nothing.
     */
    PAUSE_FAILOVER_SERVICE_MID_OPERATION(true),
    /** Kafka down for 5 s (controlled stop), then back: Regent is blind, not alarmed. */
    RESTART_KAFKA(false),
    /** A registry replica killed (SIGKILL) and started again: the other replica serves meanwhile; nothing breaks. */
    RESTART_REGISTRY(false),
    /** SIGSTOP of the leader for 1 s, shorter than the detection window: no failover. */
    STALL_LEADER_1S(false);

    private final boolean failoverExpected;

    Fault(boolean failoverExpected) {
        this.failoverExpected = failoverExpected;
    }

    public boolean failoverExpected() {
        return failoverExpected;
    }
}
