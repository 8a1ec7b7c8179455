package io.regent.testkit.mariadb;

import io.regent.testkit.postgres.Credentials;
import java.time.Duration;
import java.util.List;

/**
 * A MariaDB cluster with GTID replication, started by the testkit as local processes: one
 * writable leader, the others replicating from it ({@code MASTER_USE_GTID=slave_pos}) and
 * read-only. Closing it kills every server and removes its files.
 */
public interface MariaDbCluster extends AutoCloseable {

    /** A cluster of {@code nodes} servers named {@code <name>-1 ... <name>-n}; the first one leads. */
    static MariaDbCluster start(String name, int nodes) {
        return LocalMariaDbCluster.start(name, nodes, null, false);
    }

    /** As {@link #start(String, int)}, with the monitoring user's name and password chosen by the caller. */
    static MariaDbCluster start(String name, int nodes, Credentials monitorUser) {
        return LocalMariaDbCluster.start(name, nodes, monitorUser, false);
    }

    /**
     * As {@link #start(String, int, Credentials)} with lossless semi-synchronous replication: a commit
     * on the leader returns once a replica has received it ({@code AFTER_SYNC}), never falling back to
     * asynchronous; every node acknowledges as a replica; a killed node restarts with
     * {@code --init-rpl-role=SLAVE}, which drops what it binlogged but no replica acknowledged.
     */
    static MariaDbCluster startSemiSynchronous(String name, int nodes, Credentials monitorUser) {
        return LocalMariaDbCluster.start(name, nodes, monitorUser, true);
    }

    String name();

    /** Whether commits wait for a replica's acknowledgement ({@link #startSemiSynchronous}). */
    boolean semiSynchronous();

    List<MariaDbNode> nodes();

    MariaDbNode node(String name);

    MariaDbNode initialLeader();

    /** Full privileges, for the tests themselves. */
    Credentials superuser();

    /** What the followers replicate as ({@code REPLICATION SLAVE}). */
    Credentials replicationUser();

    /**
     * Regent's monitoring user: {@code SLAVE MONITOR, BINLOG MONITOR, REPLICATION MASTER ADMIN,
     * PROCESS} and writes to {@code regent.heartbeat} only - never a superuser.
     */
    Credentials monitorUser();

    /**
     * Regent's user for node actions: {@code REPLICATION SLAVE ADMIN, RELOAD, READ_ONLY ADMIN,
     * CONNECTION ADMIN, REPLICATION MASTER ADMIN} and the monitoring privileges, no table privileges
     * (READ_ONLY ADMIN may write on a read-only server, so it gets nothing to write to).
     */
    Credentials controlUser();

    /** Waits until every running follower has executed the leader's whole binlog. */
    void awaitCaughtUp(Duration timeout);

    @Override
    void close();
}
