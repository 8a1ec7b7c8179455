package io.regent.failover.decision;

import io.regent.events.NodeRole;
import io.regent.events.ReplicationMode;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns a decided leader change into a {@link Plan}: pure, like {@link Decider} - the topology and the
 * agents' sightings in, the steps out. The judgement the executor used to make in passing lives here:
 * whether the old leader is reachable enough to fence and whether a failed fence stops the change, which
 * standbys the new leader waits for, which followers are re-pointed.
 */
public final class Planner {

    private static final String SYSTEM = "system";

    private Planner() {
    }

    /**
     * A failover from {@code from} to {@code to}: fence the old leader if an agent reaches it (a failure
     * stops a person's request, not a quorum's verdict), promote the target into a fence, open it with
     * its synchronous standbys, re-point the other followers, announce.
     */
    public static Plan failover(ClusterSnapshot snapshot, String from, String to, String initiator, Instant now) {
        List<Plan.Step> steps = new ArrayList<>();
        if (from != null) {
            boolean reachable = snapshot.freshSightingsOf(from, now).stream()
                    .max(Comparator.comparing(Sighting::receivedAt)).map(Sighting::reachable).orElse(false);
            boolean system = SYSTEM.equals(initiator);
            String why = !reachable ? from + " is unreachable: it is fenced when it is seen again"
                    : system ? "a quorum declared " + from + " down, so a failed fence does not stop the failover "
                            + "(it is fenced when it is seen again)"
                    : "the leader " + from + " answers: promoting another node before it is fenced could split the "
                            + "brain";
            steps.add(new Plan.Fence(from, reachable, reachable && !system, why));
        }
        return new Plan(leaderChange(snapshot.topology(), from, to, steps));
    }

    /**
     * A switchover from the healthy {@code from} to {@code to}: detach the other followers from it while it still
     * takes writes (they receive through the target from then on: a fenced leader still writes WAL, and what they
     * received past the target's fork point would keep them from following it; and re-pointing them takes a WAL
     * receiver restart each, which stays outside the write gap this way), fence it (required), catch the target up
     * to everything it acknowledged, then as a failover.
     */
    public static Plan switchover(TopologyChanged topology, String from, String to) {
        List<Plan.Step> steps = new ArrayList<>();
        otherFollowers(topology, from, to).forEach(follower -> steps.add(new Plan.Detach(follower, from, to)));
        steps.add(new Plan.Fence(from, true, true, "a switchover hands over only from a fenced leader"));
        steps.add(new Plan.CatchUp(from, to));
        return new Plan(leaderChange(topology, from, to, steps));
    }

    private static List<String> otherFollowers(TopologyChanged topology, String from, String to) {
        return topology.nodes().stream()
                .filter(n -> !n.name().equals(to) && !n.name().equals(from) && n.role() == NodeRole.FOLLOWER)
                .map(TopologyNode::name).sorted().toList();
    }

    /** Make the cluster's own leader writable again: the undo of a switchover that could not complete, and the repair of a stranded leader. */
    public static Plan reopen(TopologyChanged topology, String leader) {
        return new Plan(List.of(open(topology, leader, null)));
    }

    private static List<Plan.Step> leaderChange(TopologyChanged topology, String from, String to,
            List<Plan.Step> steps) {
        steps.add(new Plan.Promote(to));
        steps.add(open(topology, to, from));
        otherFollowers(topology, from, to).forEach(follower -> steps.add(new Plan.Repoint(follower, to)));
        steps.add(new Plan.Announce(to, from));
        return steps;
    }

    /**
     * The synchronous standbys a leader waits for: every other node (a replaced leader stays listed, so
     * once rejoined it counts again without another change), {@code k} as registered but never more than
     * there are standbys.
     */
    static Plan.Open open(TopologyChanged topology, String leader, String oldLeader) {
        if (topology.replication().mode() != ReplicationMode.SYNC_ANY) {
            return new Plan.Open(leader, List.of(), 0, "asynchronous");
        }
        List<String> standbys = topology.nodes().stream().map(TopologyNode::name)
                .filter(name -> !name.equals(leader)).sorted().toList();
        int k = Math.min(topology.replication().syncCount(), standbys.size());
        return new Plan.Open(leader, standbys, k, "synchronous ANY " + k + " " + standbys
                + (oldLeader == null ? "" : " (old leader " + oldLeader + " counts once rejoined)"));
    }
}
