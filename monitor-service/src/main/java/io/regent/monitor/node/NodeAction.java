package io.regent.monitor.node;

/** What the failover-service can ask a node's own agent to do. */
public enum NodeAction {
    /** Stop the server (fast by default: sessions ended, shutdown checkpoint). */
    STOP,
    /** Start the server with its data directory as it is. */
    START,
    /** Make the node a streaming follower of the current leader: pg_rewind, or a rebuild when it cannot. */
    REJOIN,
    /** Replace the node's data directory with a fresh copy of the leader's (also bootstraps a new node). */
    REBUILD
}
