package io.regent.monitor.node;

import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import java.util.Optional;

/**
 * Whether a node agent that has just started may start its stopped server (pure: {@link NodeBoot} does the
 * I/O). The danger it guards against is a leader that died, was replaced while it was down, and comes back
 * writable beside its successor - what a container restart policy or a reboot would do if the server were
 * started blindly. So only a standby (its {@code standby.signal} keeps it read-only whatever happened
 * meanwhile) is started at once; a server that last ran as a leader starts only while the registry still
 * names it the leader and grants it the leader lease, which it refuses once a failover is on record.
 * Everything else is left to the failover-service, which rejoins (pg_rewind) or builds the node through
 * this agent.
 */
public final class BootRules {

    private BootRules() {
    }

    public enum Action {
        /** Nothing to do at boot; the reason says who acts next. */
        DONE,
        /** Start it: it is a standby. */
        START,
        /** Start it as the leader once the registry grants the leader lease at the topology's epoch. */
        START_IF_LEASED,
        /** Ask again in a moment (the topology is not known yet). */
        WAIT
    }

    /** What the agent sees of its own node. */
    public record Local(boolean running, boolean hasData, boolean standby) {
    }

    public record Step(Action action, String reason) {
    }

    /**
     * @param node         the local node's name
     * @param local        the local server and data directory
     * @param topology     the cluster's topology as this agent knows it, null while unknown
     * @param leaseEnabled whether leaders hold a leader lease (without one a start could race a failover)
     */
    public static Step decide(String node, Local local, TopologyChanged topology, boolean leaseEnabled) {
        if (local.running()) {
            return new Step(Action.DONE, node + " runs already");
        }
        if (!local.hasData()) {
            return new Step(Action.DONE, node + " has no data directory yet: the failover-service builds it from a "
                    + "base backup of the leader through this agent");
        }
        if (local.standby()) {
            return new Step(Action.START, node + " is a standby (standby.signal): it takes no writes whatever the "
                    + "topology says, so it starts now");
        }
        if (topology == null) {
            return new Step(Action.WAIT, node + " last ran as a leader and its cluster's topology is not known yet: "
                    + "it stays stopped until the registry says whether it still leads");
        }
        Optional<TopologyNode> self = topology.nodes().stream().filter(n -> n.name().equals(node)).findFirst();
        if (self.isEmpty()) {
            return new Step(Action.WAIT, node + " last ran as a leader and is not in cluster " + topology.clusterId()
                    + "'s topology at epoch " + topology.epoch() + ": it stays stopped until it is registered");
        }
        if (!node.equals(topology.leader())) {
            String leader = topology.leader() == null ? "no node" : topology.leader();
            return new Step(Action.DONE, node + " last ran as a leader but " + leader + " leads cluster "
                    + topology.clusterId() + " at epoch " + topology.epoch() + ": it stays stopped, and the "
                    + "failover-service rejoins it as a follower through this agent (pg_rewind)");
        }
        if (!leaseEnabled) {
            return new Step(Action.DONE, node + " leads cluster " + topology.clusterId() + " at epoch "
                    + topology.epoch() + " but leaders hold no leader lease here (regent.monitor.node.leader-lease=0), "
                    + "so a start could race a failover: it stays stopped; start it by hand once you know no other "
                    + "node was promoted");
        }
        return new Step(Action.START_IF_LEASED, node + " leads cluster " + topology.clusterId() + " at epoch "
                + topology.epoch() + ": it starts once the registry grants it the leader lease (refused once a "
                + "failover is on record)");
    }
}
