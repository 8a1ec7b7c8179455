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
    STALL_LEADER_1S(false),
    /**
     * The leader's server starved of CPU for 15 s - it runs 100 ms of every second (SIGSTOP/SIGCONT, as a throttled
     * cgroup would): probes time out, yet it still commits and its followers receive WAL. Slow is not down.
     */
    SLOW_LEADER(false),
    /** Regent's role refused by the leader's pg_hba.conf for 15 s (a password rotated wrongly): a refusal is an answer. */
    AUTH_FAILURE_LEADER(false),
    /**
     * One node agent restarted with its clock 2 s behind or ahead (libfaketime), then a 1 s stall of the leader: a
     * skewed agent turns no short stall into a failover. The agent is restarted with a true clock afterwards.
     */
    SKEWED_AGENT(false),
    /**
     * The leader's machine (its server and its node agent, a network namespace) cut off from the network - frames
     * dropped silently, connections stall - until a new leader is announced, then healed: a zombie that never
     * stopped, cut off instead of paused. Its agent cannot renew the lease and fences the server.
     */
    PARTITION_LEADER(true);

    private final boolean failoverExpected;

    Fault(boolean failoverExpected) {
        this.failoverExpected = failoverExpected;
    }

    public boolean failoverExpected() {
        return failoverExpected;
    }
}
