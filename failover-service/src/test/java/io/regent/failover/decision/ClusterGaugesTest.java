package io.regent.failover.decision;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.regent.failover.cluster.ClusterGauges;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cluster and node gauges from a snapshot, case by case (here beside {@link Scenario}, which builds the
 * snapshots the decision tests use): what is present, with which labels and values, and what stays absent.
 */
class ClusterGaugesTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("a healthy cluster: leader, two streaming followers, two agents",
                        Scenario.threeNodes().leaderUp("a", "x", 100).follower("b", "x", 100, 5_000, 4_000)
                                .follower("c", "y", 200, 5_000, 5_000),
                        List.of("regent_cluster_epoch{cluster=orders} 7.0", "regent_cluster_leader{cluster=orders,node=a} 1.0",
                                "regent_cluster_healthy_followers{cluster=orders} 2.0",
                                "regent_cluster_observers{cluster=orders} 2.0",
                                "regent_cluster_maintenance{cluster=orders} 0.0",
                                "regent_cluster_operation_running{cluster=orders} 0.0",
                                "regent_node_role{cluster=orders,node=a,role=LEADER} 1.0",
                                "regent_node_role{cluster=orders,node=b,role=FOLLOWER} 1.0",
                                "regent_node_reachable{cluster=orders,node=a} 1.0",
                                "regent_node_timeline{cluster=orders,node=b} 1.0",
                                "regent_node_read_only{cluster=orders,node=a} 0.0",
                                "regent_node_read_only{cluster=orders,node=b} 1.0",
                                "regent_node_lag_bytes{cluster=orders,node=b} 1000.0",
                                "regent_node_lag_bytes{cluster=orders,node=c} 0.0",
                                "regent_node_lag_seconds{cluster=orders,node=b} 0.0",
                                "regent_node_wal_position_bytes{cluster=orders,kind=current,node=a} 5.0E7",
                                "regent_node_wal_position_bytes{cluster=orders,kind=received,node=b} 5000.0",
                                "regent_node_wal_position_bytes{cluster=orders,kind=replayed,node=b} 4000.0",
                                "regent_node_streaming{cluster=orders,node=b} 1.0"),
                        List.of("regent_node_lag_bytes{cluster=orders,node=a}", "regent_node_streaming{cluster=orders,node=a}",
                                "regent_cluster_last_failover_timestamp_seconds{cluster=orders}")),
                Arguments.of("the leader unreachable for every agent that tried, a follower no agent saw lately",
                        Scenario.threeNodes().unreachable("a", "x", 100).unreachable("a", "y", 150)
                                .follower("b", "x", 100, 5_000, 5_000).follower("c", "y", 60_000, 5_000, 5_000),
                        List.of("regent_node_reachable{cluster=orders,node=a} 0.0",
                                "regent_node_reachable{cluster=orders,node=b} 1.0",
                                "regent_node_role{cluster=orders,node=c,role=FOLLOWER} 1.0",
                                "regent_cluster_healthy_followers{cluster=orders} 1.0",
                                "regent_cluster_observers{cluster=orders} 2.0"),
                        List.of("regent_node_timeline{cluster=orders,node=a}", "regent_node_reachable{cluster=orders,node=c}",
                                "regent_node_lag_bytes{cluster=orders,node=c}")),
                Arguments.of("a leader left read-only (a fence no operation lifted): the alert's series",
                        Scenario.threeNodes().readOnlyLeader("a", "x", 100),
                        List.of("regent_node_read_only{cluster=orders,node=a} 1.0",
                                "regent_cluster_leader{cluster=orders,node=a} 1.0",
                                "regent_cluster_operation_running{cluster=orders} 0.0"),
                        List.of()),
                Arguments.of("a leader that answers with an error is alive: reachable, with no probed facts",
                        Scenario.threeNodes().answeredWith("a", "x", 100, io.regent.events.ProbeErrorKind.AUTH),
                        List.of("regent_node_reachable{cluster=orders,node=a} 1.0"),
                        List.of("regent_node_timeline{cluster=orders,node=a}", "regent_node_read_only{cluster=orders,node=a}")),
                Arguments.of("maintenance, an operation running, a failover on record",
                        Scenario.threeNodes().maintenance().running(UUID.randomUUID())
                                .lastFailover(Duration.ofSeconds(90)),
                        List.of("regent_cluster_maintenance{cluster=orders} 1.0",
                                "regent_cluster_operation_running{cluster=orders} 1.0",
                                "regent_cluster_last_failover_timestamp_seconds{cluster=orders} "
                                        + (double) Scenario.NOW.minusSeconds(90).getEpochSecond(),
                                "regent_cluster_observers{cluster=orders} 0.0",
                                "regent_cluster_healthy_followers{cluster=orders} 0.0"),
                        List.of("regent_node_reachable{cluster=orders,node=a}")),
                Arguments.of("MariaDB: lag in transactions, no byte positions",
                        Scenario.threeNodes().gtidFollower("b", "m1", 100, "0-1-90", "0-1-100"),
                        List.of("regent_node_lag_transactions{cluster=orders,node=b} 10.0",
                                "regent_node_reachable{cluster=orders,node=b} 1.0"),
                        List.of("regent_node_lag_bytes{cluster=orders,node=b}",
                                "regent_node_wal_position_bytes{cluster=orders,kind=received,node=b}")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gaugesSayWhatIsKnownAndLeaveOutWhatIsNot(String name, Scenario scenario, List<String> present,
            List<String> absent) {
        List<String> lines = ClusterGauges.samples(scenario.snapshot(), Scenario.NOW).stream()
                .map(s -> series(s.name(), s.tags()) + " " + s.value()).toList();
        assertThat(lines).containsAll(present);
        assertThat(lines).noneMatch(line -> absent.stream().anyMatch(line::startsWith));
        assertThat(lines.stream().map(line -> line.substring(0, line.lastIndexOf(' '))).distinct())
                .as("one value per series").hasSize(lines.size());
    }

    /** Registered, then refreshed without the cluster: its series are gone, none are left at a stale value. */
    @Test
    void aClusterNoLongerOwnedLosesItsSeries() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ClusterGauges gauges = new ClusterGauges(registry);
        ClusterSnapshot snapshot = Scenario.threeNodes().leaderUp("a", "x", 100).snapshot();
        gauges.refresh(List.of(snapshot), Scenario.NOW);
        assertThat(registry.find("regent_cluster_epoch").tag("cluster", "orders").gauge().value()).isEqualTo(7.0);
        assertThat(registry.find("regent_node_role").tags("node", "a", "role", "LEADER").gauge()).isNotNull();

        gauges.refresh(List.of(), Scenario.NOW);
        assertThat(registry.find("regent_cluster_epoch").gauges()).isEmpty();
        assertThat(registry.find("regent_node_role").gauges()).isEmpty();
    }

    private static String series(String name, Iterable<Tag> tags) {
        return name + StreamSupport.stream(tags.spliterator(), false).map(t -> t.getKey() + "=" + t.getValue())
                .collect(Collectors.joining(",", "{", "}"));
    }
}
