package io.regent.failover.decision;

import io.regent.events.NodeObserved;
import io.regent.events.TopologyNode;
import io.regent.events.WalReceiverState;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether a follower replicates from the current leader, on the leader's timeline. A follower left
 * streaming from an older leader (not re-pointed after a failover) holds none of the new leader's
 * writes: promoting it would drop them, and its receiver hearing from someone proves nothing about
 * the leader.
 */
final class Upstream {

    private Upstream() {
    }

    /**
     * Why {@code view}'s replication does not come from {@code leader}, or null when it does - or when
     * the view does not tell (no receiver connected: a dead leader's followers have none).
     */
    static String mismatch(ClusterSnapshot snapshot, String leader, NodeObserved view) {
        WalReceiverState receiver = view == null ? null : view.walReceiver();
        Optional<TopologyNode> leaderNode = snapshot.node(leader);
        if (receiver == null || receiver.senderHost() == null || receiver.senderPort() == null
                || leaderNode.isEmpty()) {
            return null;
        }
        TopologyNode l = leaderNode.get();
        if (!receiver.senderHost().equalsIgnoreCase(l.host()) || receiver.senderPort() != l.port()) {
            return "replicates from " + receiver.senderHost() + ":" + receiver.senderPort() + ", not from leader "
                    + leader + " (" + l.host() + ":" + l.port() + ") - not re-pointed";
        }
        NodeObserved leaderView = Views.lastHealthyView(snapshot, leader);
        Long leaderTimeline = leaderView == null ? null : leaderView.timeline();
        if (leaderTimeline != null && receiver.receivedTimeline() != null
                && !leaderTimeline.equals(receiver.receivedTimeline())) {
            return "receives timeline " + receiver.receivedTimeline() + " but leader " + leader + " is on timeline "
                    + leaderTimeline;
        }
        return null;
    }

    /** The newest observation of {@code node} that found its receiver connected, by any fresh agent. */
    static NodeObserved lastStreaming(ClusterSnapshot snapshot, String node, Instant now) {
        return snapshot.freshSightingsOf(node, now).stream().filter(s -> s.lastStreaming() != null)
                .max(Comparator.comparing(s -> s.local(s.lastStreaming().observedAt())))
                .map(Sighting::lastStreaming).filter(Objects::nonNull).orElse(null);
    }
}
