package io.regent.engines;

import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;

/**
 * What Regent does to a database node, one implementation per engine. Implementations are
 * thread-safe, keep at most one connection per node, and never block past the deadline they are
 * given - nor start a change once it has passed. Actions are idempotent: repeating one that already
 * took effect succeeds.
 */
public interface EngineAdapter extends AutoCloseable {

    Engine engine();

    /**
     * Observes the node: reachability or the error class, role, positions, lag, replication state,
     * as the wire contract's {@link NodeObserved} stamped with the adapter's {@link Observer}.
     * Never throws for a node problem: that is reported in the observation.
     *
     * @param timeout the whole probe, connection included; a frozen node yields a TIMEOUT observation
     */
    NodeObserved probe(NodeTarget node, Duration timeout);

    /**
     * Makes a follower a leader <em>into a fence</em>: it ends replication but stays read-only (and, where the
     * engine can, unable to get a commit acknowledged) until {@link #unfence}. A node that already is a
     * leader is left as it is: promote never lowers a fence, so a late or repeated promotion - a caller
     * that was paused past its ownership, a retried step - can never open a second writable node.
     * No change is started once {@code timeout} has run out.
     */
    default void promote(NodeTarget node, Deadline deadline) {
        throw new UnsupportedOperationException(engine() + ": promote is not implemented yet");
    }

    /** Points a follower at a new leader. */
    default void follow(NodeTarget node, NodeTarget leader, Deadline deadline) {
        throw new UnsupportedOperationException(engine() + ": follow is not implemented yet");
    }

    /**
     * Makes a replaced leader a follower of {@code leader} from the control plane; refuses, with the
     * transactions named, when it holds any the leader lacks - rejoining it would silently diverge.
     * Only where {@link EngineCapabilities#rejoinsRemotely()}: PostgreSQL's rejoin needs the node's
     * files (pg_rewind, or a new base backup), so the node agent next to it does it instead.
     */
    default void rejoin(NodeTarget node, NodeTarget leader, Deadline deadline) {
        throw new UnsupportedOperationException(engine() + ": rejoin from the control plane is not possible; "
                + "the node agent rejoins this engine's nodes");
    }

    /** Stops the node from accepting writes and ends client sessions. */
    default void fence(NodeTarget node, Deadline deadline) {
        throw new UnsupportedOperationException(engine() + ": fence is not implemented yet");
    }

    /**
     * Opens a leader for writes: commits wait for {@code k} of {@code standbys} ({@code k = 0}: for none),
     * then it takes writes. The only action that lowers a fence; refused on a node still in recovery.
     * Callers make sure the node is the cluster's rightful leader first (the registry's intent).
     */
    default void unfence(NodeTarget leader, List<String> standbys, int k, Deadline deadline) {
        throw new UnsupportedOperationException(engine() + ": unfence is not implemented yet");
    }

    /** Makes commits on {@code leader} wait for {@code k} of {@code standbys}; {@code k = 0} = asynchronous. */
    default void configureSynchronous(NodeTarget leader, List<String> standbys, int k, Deadline deadline) {
        throw new UnsupportedOperationException(engine() + ": configureSynchronous is not implemented yet");
    }

    /**
     * Writes a marker into the leader's replication stream after every write acknowledged so far
     * and returns its position: once a follower has replayed it, it holds all of them (a planned
     * switchover waits for this on its target).
     */
    default long writeBarrier(NodeTarget leader, Deadline deadline) {
        throw new UnsupportedOperationException(engine() + ": writeBarrier is not implemented yet");
    }

    /** Waits until {@code follower} has replayed the stream up to {@code position}, or fails after the timeout. */
    default void awaitReplayed(NodeTarget follower, long position, Deadline deadline) {
        throw new UnsupportedOperationException(engine() + ": awaitReplayed is not implemented yet");
    }

    /**
     * A switchover's step between its catch-up and its promotion: {@code follower} stops receiving from the
     * fenced {@code leader} and receives from {@code candidate} instead (through it, once promoted), so that
     * nothing the fenced leader still writes takes it past the candidate's fork point, from where it could not
     * follow the candidate without a rewind. Returns the position the follower had received when its stream
     * from {@code leader} ended: the candidate must hold that much before it is promoted
     * ({@link #awaitReceived}). Empty when the engine's fenced leader writes nothing more, so nothing needs
     * doing (MariaDB: {@code read_only} stops its binary log). Not a default method: a delegating adapter
     * that forgot it would skip the step without a word.
     */
    OptionalLong detach(NodeTarget follower, NodeTarget leader, NodeTarget candidate, Deadline deadline);

    /**
     * Waits until {@code node} has received the stream up to {@code position}, or fails after the timeout; a
     * node no longer in recovery returns at once (its history is fixed: nothing more can be waited for).
     */
    void awaitReceived(NodeTarget node, long position, Deadline deadline);

    // --- the same actions bounded by a timeout from now (tests, tools) ---

    default void promote(NodeTarget node, Duration timeout) {
        promote(node, Deadline.after(timeout));
    }

    default void follow(NodeTarget node, NodeTarget leader, Duration timeout) {
        follow(node, leader, Deadline.after(timeout));
    }

    default void rejoin(NodeTarget node, NodeTarget leader, Duration timeout) {
        rejoin(node, leader, Deadline.after(timeout));
    }

    default void fence(NodeTarget node, Duration timeout) {
        fence(node, Deadline.after(timeout));
    }

    default void unfence(NodeTarget leader, List<String> standbys, int k, Duration timeout) {
        unfence(leader, standbys, k, Deadline.after(timeout));
    }

    default void configureSynchronous(NodeTarget leader, List<String> standbys, int k, Duration timeout) {
        configureSynchronous(leader, standbys, k, Deadline.after(timeout));
    }

    default long writeBarrier(NodeTarget leader, Duration timeout) {
        return writeBarrier(leader, Deadline.after(timeout));
    }

    default void awaitReplayed(NodeTarget follower, long position, Duration timeout) {
        awaitReplayed(follower, position, Deadline.after(timeout));
    }

    /** Forgets the connection to a node that left the topology. */
    void forget(NodeTarget node);

    @Override
    void close();
}
