package io.regent.engines;

import io.regent.engines.mariadb.GtidPosition;
import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import java.util.List;

/**
 * Which of two nodes holds more of the cluster's history, in each engine's own terms, for the pure
 * decision code: PostgreSQL's WAL is one ordered stream (more received bytes hold everything fewer
 * do); a GTID engine's history is a set, so a node can hold transactions another lacks and lack some
 * the other holds at once.
 */
public final class ReplicatedHistory {

    private ReplicatedHistory() {
    }

    /**
     * What {@code other} holds that {@code node} lacks, as the engine names it; empty when {@code node}
     * holds all of it. Both are successful probes of followers (or former followers) of one cluster.
     */
    public static List<String> lacking(Engine engine, NodeObserved node, NodeObserved other) {
        String held = history(node);
        String otherHistory = history(other);
        if (engine == Engine.MARIADB && held != null && otherHistory != null) {
            return GtidPosition.errant(otherHistory, held).stream().map(Object::toString).toList();
        }
        long position = received(node);
        long otherHeld = received(other);
        if (otherHeld <= position) {
            return List.of();
        }
        return List.of(engine == Engine.POSTGRESQL ? "WAL up to " + otherHeld : "transactions up to " + otherHeld);
    }

    /**
     * The transactions {@code node} holds that its leader's history, as last seen in
     * {@code leaderLastSeen}, cannot explain - written on the node or kept from elsewhere (errant). A
     * follower holding any must not be promoted silently: it would hand them to every other node.
     * PostgreSQL followers cannot write, so theirs is always empty; so is any engine's when the
     * leader's history is unknown.
     */
    public static List<String> errant(Engine engine, NodeObserved node, NodeObserved leaderLastSeen) {
        String held = history(node);
        if (engine != Engine.MARIADB || leaderLastSeen == null || held == null
                || leaderLastSeen.executedGtids() == null) {
            return List.of();
        }
        return GtidPosition.errantAgainstLastSeen(held, leaderLastSeen.executedGtids()).stream()
                .map(Object::toString).toList();
    }

    /** What the node would hold once promoted: received and owed included. */
    private static String history(NodeObserved node) {
        return node.receivedGtids() != null ? node.receivedGtids() : node.executedGtids();
    }

    private static long received(NodeObserved node) {
        Long position = node.receivedLsn() != null ? node.receivedLsn() : node.replayedLsn();
        return position == null ? 0 : position;
    }
}
