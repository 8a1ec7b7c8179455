package io.regent.monitor.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.events.Engine;
import io.regent.events.NodeRole;
import io.regent.events.Replication;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.monitor.node.BootRules.Action;
import io.regent.monitor.node.BootRules.Local;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a node agent does with its stopped server when it starts: local state x topology x lease. */
class BootRulesTest {

    private static final Local STOPPED_LEADER = new Local(false, true, false);
    private static final Local STOPPED_STANDBY = new Local(false, true, true);

    static Stream<Arguments> rows() {
        return Stream.of(
                Arguments.of(new Local(true, true, false), led("a", 3), true, Action.DONE, "a runs already"),
                Arguments.of(new Local(false, false, false), led("a", 3), true, Action.DONE,
                        "a has no data directory yet: the failover-service builds it from a base backup of the leader"),
                // a standby is safe to start whatever the topology says, even before it is known
                Arguments.of(STOPPED_STANDBY, null, true, Action.START, "a is a standby (standby.signal): it takes "
                        + "no writes whatever the topology says, so it starts now"),
                Arguments.of(STOPPED_STANDBY, led("b", 4), true, Action.START, "a is a standby"),
                Arguments.of(STOPPED_LEADER, null, true, Action.WAIT, "a last ran as a leader and its cluster's "
                        + "topology is not known yet: it stays stopped until the registry says whether it still leads"),
                // killed, replaced while down, restarted by its container's restart policy: never writable again
                Arguments.of(STOPPED_LEADER, led("b", 4), true, Action.DONE, "a last ran as a leader but b leads "
                        + "cluster orders at epoch 4: it stays stopped, and the failover-service rejoins it as a "
                        + "follower through this agent (pg_rewind)"),
                Arguments.of(STOPPED_LEADER, led(null, 4), true, Action.DONE, "but no node leads cluster orders"),
                Arguments.of(STOPPED_LEADER, led("a", 3), true, Action.START_IF_LEASED, "a leads cluster orders at "
                        + "epoch 3: it starts once the registry grants it the leader lease (refused once a failover "
                        + "is on record)"),
                Arguments.of(STOPPED_LEADER, led("a", 3), false, Action.DONE, "leaders hold no leader lease here "
                        + "(regent.monitor.node.leader-lease=0), so a start could race a failover: it stays stopped"),
                Arguments.of(STOPPED_LEADER, new TopologyChanged("orders", 3, Engine.POSTGRESQL, "b",
                        List.of(node("b"), node("c")), Replication.ASYNC, false, Instant.EPOCH, "test", null, 7),
                        true, Action.WAIT, "a last ran as a leader and is not in cluster orders's topology at epoch 3"));
    }

    @ParameterizedTest(name = "{0}, leader {1} -> {3}")
    @MethodSource("rows")
    void decide(Local local, TopologyChanged topology, boolean lease, Action action, String reason) {
        BootRules.Step step = BootRules.decide("a", local, topology, lease);
        assertThat(step.action()).isEqualTo(action);
        assertThat(step.reason()).contains(reason);
    }

    private static TopologyChanged led(String leader, long epoch) {
        return new TopologyChanged("orders", epoch, Engine.POSTGRESQL, leader, List.of(node("a"), node("b"), node("c")),
                Replication.ASYNC, false, Instant.EPOCH, "test", null, 7);
    }

    private static TopologyNode node(String name) {
        return new TopologyNode(name, name + ".db", 5432, "zone-" + name, NodeRole.FOLLOWER, 100, null, List.of());
    }
}
