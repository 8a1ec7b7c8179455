package io.regent.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.regent.events.Engine;
import io.regent.events.NodeRole;
import io.regent.events.Replication;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The ordering rule an application relies on: a cluster's view never goes back, whatever arrives. */
class RegentTopologyTest {

    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");

    static TopologyChanged snapshot(String cluster, long epoch, long revision, String leader, Instant at) {
        List<TopologyNode> nodes = Stream.of("a", "b", "c").map(name -> new TopologyNode(name, "127.0.0.1", 5432,
                null, name.equals(leader) ? NodeRole.LEADER : NodeRole.FOLLOWER, 100, null, List.of())).toList();
        return new TopologyChanged(cluster, epoch, Engine.POSTGRESQL, leader, nodes, Replication.ASYNC, false, at,
                "test", null, revision);
    }

    static Stream<Arguments> arrivals() {
        TopologyChanged epoch1 = snapshot("c1", 1, 10, "a", T0);
        TopologyChanged epoch2 = snapshot("c1", 2, 11, "b", T0.plusSeconds(5));
        TopologyChanged maintenance2 = snapshot("c1", 2, 12, "b", T0.plusSeconds(6));
        TopologyChanged legacy3 = snapshot("c1", 3, 0, "c", T0.plusSeconds(7));
        TopologyChanged legacy2 = snapshot("c1", 2, 0, "b", T0.plusSeconds(9));
        return Stream.of(
                Arguments.of("in order: each taken", List.of(epoch1, epoch2, maintenance2), List.of(1L, 2L, 2L), 12L),
                Arguments.of("a late record of an older epoch is dropped", List.of(epoch2, epoch1), List.of(2L), 11L),
                Arguments.of("a duplicate changes nothing", List.of(epoch2, epoch2), List.of(2L), 11L),
                Arguments.of("an older revision of the same epoch is dropped", List.of(maintenance2, epoch2),
                        List.of(2L), 12L),
                Arguments.of("without revisions, the epoch decides", List.of(legacy3, legacy2), List.of(3L), 0L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("arrivals")
    void theViewOfAClusterNeverGoesBack(String why, List<TopologyChanged> arriving, List<Long> epochsSeen,
            long finalRevision) {
        try (RegentTopology topology = RegentTopology.manual()) {
            List<Long> seen = new ArrayList<>();
            topology.subscribe("c1", t -> seen.add(t.epoch()));
            arriving.forEach(topology::offer);
            assertThat(seen).as(why).isEqualTo(epochsSeen);
            assertThat(topology.current("c1").orElseThrow().revision()).as(why).isEqualTo(finalRevision);
        }
    }

    @Test
    void aSubscriberGetsTheCurrentSnapshotFirstAndATombstoneForgetsTheCluster() throws Exception {
        try (RegentTopology topology = RegentTopology.manual()) {
            topology.offer(snapshot("c1", 4, 20, "c", T0));
            topology.offer(snapshot("other", 9, 21, "a", T0));
            List<String> events = new ArrayList<>();
            AutoCloseable subscription = topology.subscribe("c1", new RegentTopology.Listener() {
                @Override
                public void changed(TopologyChanged t) {
                    events.add("epoch " + t.epoch() + " led by " + t.leader());
                }

                @Override
                public void deleted(String clusterId) {
                    events.add("deleted " + clusterId);
                }
            });
            topology.offerDeleted("c1");
            // registered again under the same name: a fresh start, whatever its epoch
            topology.offer(snapshot("c1", 0, 30, "a", T0.plusSeconds(60)));
            subscription.close();
            topology.offer(snapshot("c1", 1, 31, "b", T0.plusSeconds(61)));
            assertThat(events).containsExactly("epoch 4 led by c", "deleted c1", "epoch 0 led by a");
            assertThat(topology.current("c1").orElseThrow().leader()).isEqualTo("b");
        }
    }

    @Test
    void awaitSaysWhatItHadWhenTheConditionNeverHolds() throws Exception {
        try (RegentTopology topology = RegentTopology.manual()) {
            topology.offer(snapshot("c1", 4, 20, "c", T0));
            assertThat(topology.await("c1", t -> t.epoch() == 4, Duration.ofSeconds(1)).leader()).isEqualTo("c");
            assertThatThrownBy(() -> topology.await("c1", t -> t.epoch() > 4, Duration.ofMillis(100)))
                    .isInstanceOf(TimeoutException.class)
                    .hasMessage("no topology of cluster 'c1' as asked within 100 ms (the newest: epoch 4, leader c)");
            assertThatThrownBy(() -> topology.await("nope", t -> true, Duration.ofMillis(50)))
                    .hasMessage("no topology of cluster 'nope' as asked within 50 ms (none arrived at all)");
        }
    }
}
