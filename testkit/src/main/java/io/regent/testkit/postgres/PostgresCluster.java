package io.regent.testkit.postgres;

import io.regent.events.Replication;
import java.time.Duration;
import java.util.List;

/**
 * A real PostgreSQL streaming-replication cluster: one leader and N-1 followers, asynchronous or
 * synchronous {@code ANY k}. Closing it stops every server and deletes its files.
 */
public interface PostgresCluster extends AutoCloseable {

    /** A builder for the implementation this machine supports (local processes here). */
    static PostgresClusterBuilder builder() {
        return new PostgresClusterBuilder();
    }

    String name();

    /** All nodes, the initial leader first. */
    List<PostgresNode> nodes();

    PostgresNode node(String name);

    /**
     * A new node slot: a name ({@code <cluster>-<n+1>}), a free port and a directory, but no data
     * directory and no server - for a node agent to build from the leader (a user adding read capacity).
     * Once built and started by someone else, its faults ({@code kill}, {@code stop}) work as for any node.
     */
    PostgresNode addEmptyNode();

    /** The node that was leader when the cluster was built. */
    PostgresNode initialLeader();

    /** The nodes that are running and not in recovery now. */
    List<PostgresNode> currentLeaders();

    Replication replication();

    /** The superuser: for the test's own checks, never for Regent itself. */
    Credentials superuser();

    /** The role followers stream with. */
    Credentials replicationUser();

    /** Regent's least-privilege control-plane role (see DESIGN.md). */
    Credentials controlRole();

    /** Waits until every follower's WAL receiver is streaming and has replayed the leader's current WAL. */
    void awaitCaughtUp(Duration timeout);

    @Override
    void close();
}
