package io.regent.monitor.routing;

import io.regent.events.Engine;
import io.regent.events.LagLimit;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.events.WalReceiverState;
import io.regent.monitor.lease.LeaseRules;
import java.time.Duration;
import java.util.Optional;

/**
 * The routing checks a node's own agent answers for its load balancer (pure: {@link RoutingResource} gathers the
 * facts). Every answer comes from what this agent knows by itself - its own probe of the local server, its probe of
 * the leader, the newest topology it saw, its leader lease - so a Kafka, registry or gateway outage never takes a
 * node out of traffic: the control plane is not in the data path. 200 means "send this kind of traffic here", 503
 * "do not", each with the reason a person reads in the load balancer's log.
 */
public final class RoutingRules {

    private RoutingRules() {
    }

    /** A check's answer. */
    public record Answer(int status, String reason) {
        public boolean passes() {
            return status == 200;
        }
    }

    /**
     * One observation and how long ago this agent received it (its monotonic clock).
     */
    public record Seen(NodeObserved observation, long ageMillis) {
    }

    /**
     * The leader lease as the node's agent holds it.
     *
     * @param enabled        the agent holds a lease while its node leads ({@code leader-lease} > 0)
     * @param refused        the registry's last answer refused it: a failover of this node is on record, or it is
     *                       not the leader at the registry's epoch
     * @param grantAgeMillis how long ago the last granted renewal for the topology's epoch was sent; null: none
     */
    public record Lease(boolean enabled, boolean refused, Long grantAgeMillis) {
        public static final Lease NONE = new Lease(false, false, null);
    }

    /**
     * @param maxObservationAge an observation older than this tells nothing about now
     * @param leaseRunsFor      how long after a grant the lease counts as held: the lease minus the fence's head start,
     *                          after which the keeper fences the server unless the failsafe holds
     * @param failsafeReplyWithin a follower counts as streaming from the leader only with a reply this recent
     * @param maxStreamSilence  a follower that heard nothing from its leader for longer may be cut off from it
     * @param defaultMaxLagBytes        the follower check's byte limit when the load balancer names none
     * @param defaultMaxLagTransactions the same for MariaDB, in transactions
     */
    public record Settings(Duration maxObservationAge, Duration leaseRunsFor, Duration failsafeReplyWithin,
            Duration maxStreamSilence, long defaultMaxLagBytes, long defaultMaxLagTransactions) {
    }

    /**
     * What the agent knows when a check comes in.
     *
     * @param self     the local node's name
     * @param topology the newest topology of its cluster the agent applied; null when it has seen none
     * @param own      the agent's newest probe of its own node; null when there is none yet
     * @param leader   the agent's newest probe of the topology's leader; null when there is none
     * @param lease    the agent's leader lease
     */
    public record Facts(String self, TopologyChanged topology, Seen own, Seen leader, Lease lease, Settings settings) {
    }

    /** {@code /leader}: send writes here - the registry's leader, writable now, and not deposed by its lease. */
    public static Answer leader(Facts facts) {
        Optional<Answer> unfit = ownProbe(facts);
        if (unfit.isPresent()) {
            return unfit.get();
        }
        TopologyChanged topology = facts.topology();
        NodeObserved own = facts.own().observation();
        if (!facts.self().equals(topology.leader())) {
            return no(facts.self() + " is not the leader of " + topology.clusterId() + " at epoch " + topology.epoch()
                    + " (the leader is " + topology.leader() + ")");
        }
        if (own.role() != NodeRole.LEADER) {
            return no(facts.self() + " is the registered leader but its server runs as a follower (in recovery)");
        }
        if (Boolean.TRUE.equals(own.readOnly())) {
            return no(facts.self() + " is the registered leader but refuses writes (read-only: fenced)");
        }
        String at = "leader " + facts.self() + " of " + topology.clusterId() + " at epoch " + topology.epoch();
        Lease lease = facts.lease();
        if (!lease.enabled()) {
            return yes(at);
        }
        if (lease.refused()) {
            return no(facts.self() + " is no longer the leader: the registry refused its leader lease (a failover of it "
                    + "is on record, or another node leads at a newer epoch)");
        }
        long runsFor = facts.settings().leaseRunsFor().toMillis();
        if (lease.grantAgeMillis() != null && lease.grantAgeMillis() < runsFor) {
            return yes(at + ", leader lease renewed " + lease.grantAgeMillis() + " ms ago");
        }
        // the registry does not answer: writable only while no follower can have been promoted (failsafe)
        LeaseRules.Outcome failsafe = LeaseRules.failsafe(topology.nodes().stream().map(TopologyNode::name)
                .filter(name -> !name.equals(facts.self())).toList(), own.replicas(),
                facts.settings().failsafeReplyWithin());
        String lapsed = lease.grantAgeMillis() == null ? "no leader lease granted yet"
                : "leader lease not renewed for " + lease.grantAgeMillis() + " ms";
        if (failsafe.action() != LeaseRules.Action.NOTHING) {
            return no(facts.self() + ": " + lapsed + " and " + failsafe.reason());
        }
        return yes(at + ", " + lapsed + "; " + failsafe.reason());
    }

    /**
     * {@code /follower}: send reads here - a follower of the registry's leader that streams from it now, on its
     * timeline, within {@code asked} (the engine's default when the check names no limit).
     */
    public static Answer follower(Facts facts, LagLimit asked) {
        TopologyChanged topology = facts.topology();
        Engine engine = topology == null ? Engine.UNKNOWN : topology.engine();
        Optional<String> mismatch = asked.mismatch(engine);
        if (mismatch.isPresent()) {
            return new Answer(400, mismatch.get());
        }
        Optional<Answer> unfit = ownProbe(facts);
        if (unfit.isPresent()) {
            return unfit.get();
        }
        NodeObserved own = facts.own().observation();
        if (facts.self().equals(topology.leader())) {
            return no(facts.self() + " is the leader of " + topology.clusterId() + " at epoch " + topology.epoch());
        }
        if (own.role() != NodeRole.FOLLOWER) {
            return no(facts.self() + " runs as a leader (not in recovery), but the leader of " + topology.clusterId()
                    + " at epoch " + topology.epoch() + " is " + topology.leader());
        }
        WalReceiverState receiver = own.walReceiver();
        if (receiver == null || !"streaming".equals(receiver.status())) {
            return no(facts.self() + " does not stream from a leader ("
                    + (receiver == null ? "no WAL receiver runs" : "its receiver is " + receiver.status()) + ")");
        }
        Optional<TopologyNode> leader = topology.nodes().stream().filter(n -> n.name().equals(topology.leader()))
                .findFirst();
        if (leader.isPresent() && receiver.senderHost() != null && receiver.senderPort() != null
                && (!receiver.senderHost().equalsIgnoreCase(leader.get().host())
                        || receiver.senderPort() != leader.get().port())) {
            return no(facts.self() + " replicates from " + receiver.senderHost() + ":" + receiver.senderPort()
                    + ", not from leader " + leader.get().name() + " (" + leader.get().host() + ":" + leader.get().port()
                    + ")");
        }
        long silence = facts.settings().maxStreamSilence().toMillis();
        if (receiver.lastMessageAgeMillis() != null && receiver.lastMessageAgeMillis() > silence) {
            return no(facts.self() + " has heard nothing from its leader for " + receiver.lastMessageAgeMillis()
                    + " ms (more than " + silence + " ms): it may be cut off from it");
        }
        NodeObserved leaderSeen = freshLeader(facts);
        if (engine == Engine.POSTGRESQL && leaderSeen != null && leaderSeen.timeline() != null
                && receiver.receivedTimeline() != null && !leaderSeen.timeline().equals(receiver.receivedTimeline())) {
            return no(facts.self() + " receives timeline " + receiver.receivedTimeline() + " but leader "
                    + topology.leader() + " is on timeline " + leaderSeen.timeline());
        }
        long behind = behind(own, receiver, leaderSeen);
        LagLimit limit = asked.orDefault(engine, facts.settings().defaultMaxLagBytes(),
                facts.settings().defaultMaxLagTransactions());
        Optional<String> exceeded = limit.exceededBy(engine, behind, own.lagMillis());
        if (exceeded.isPresent()) {
            return no(facts.self() + " " + exceeded.get());
        }
        return yes("follower " + facts.self() + " of " + topology.clusterId() + ", " + behind + " "
                + LagLimit.unit(engine) + " behind leader " + topology.leader());
    }

    /** {@code /read-only}: send reads here - the leader (reads on the writable node) or a follower fit for reads. */
    public static Answer readOnly(Facts facts, LagLimit asked) {
        if (facts.topology() != null && facts.self().equals(facts.topology().leader())) {
            Answer leader = leader(facts);
            return leader.passes() ? yes("reads on " + leader.reason()) : leader;
        }
        return follower(facts, asked);
    }

    /** Why the agent's own probe tells nothing fit for routing; empty when it is fresh and answered. */
    private static Optional<Answer> ownProbe(Facts facts) {
        if (facts.topology() == null) {
            return Optional.of(no("this agent has seen no topology of its cluster yet"));
        }
        if (facts.topology().nodes().stream().noneMatch(n -> n.name().equals(facts.self()))) {
            return Optional.of(no(facts.self() + " is not in the topology of " + facts.topology().clusterId()
                    + " at epoch " + facts.topology().epoch()));
        }
        long maxAge = facts.settings().maxObservationAge().toMillis();
        if (facts.own() == null || facts.own().ageMillis() > maxAge) {
            return Optional.of(no("this agent has not probed " + facts.self() + " in the last " + maxAge + " ms"));
        }
        NodeObserved own = facts.own().observation();
        if (!own.reachable()) {
            return Optional.of(no(facts.self() + " does not answer its own agent ("
                    + (own.error() == null ? "no answer" : own.error().kind() + ": " + own.error().message()) + ")"));
        }
        return Optional.empty();
    }

    /** The agent's fresh, answered probe of the leader; null when it has none. */
    private static NodeObserved freshLeader(Facts facts) {
        Seen leader = facts.leader();
        if (leader == null || leader.ageMillis() > facts.settings().maxObservationAge().toMillis()
                || !leader.observation().reachable() || leader.observation().role() != NodeRole.LEADER) {
            return null;
        }
        return leader.observation();
    }

    /**
     * How far the follower is behind, in the engine's unit: the largest of what it has received but not replayed,
     * the leader's end of WAL as its sender last reported it, and the leader's position as this agent last probed
     * it - each a lower bound of the truth, from a different vantage point.
     */
    private static long behind(NodeObserved own, WalReceiverState receiver, NodeObserved leader) {
        long replayed = own.replayedLsn() == null ? 0 : own.replayedLsn();
        long behind = own.lagBytes() == null ? 0 : own.lagBytes();
        if (own.replayedLsn() != null && receiver.latestEndLsn() != null) {
            behind = Math.max(behind, receiver.latestEndLsn() - replayed);
        }
        if (own.replayedLsn() != null && leader != null && leader.currentLsn() != null) {
            behind = Math.max(behind, leader.currentLsn() - replayed);
        }
        return Math.max(0, behind);
    }

    private static Answer yes(String reason) {
        return new Answer(200, reason);
    }

    private static Answer no(String reason) {
        return new Answer(503, reason);
    }
}
