package io.regent.monitor.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.Topics;
import io.regent.testkit.kafka.TopicReader;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.stack.ControlPlane;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A packaged agent learns the fleet from the registry's REST API with its service identity: with
 * the registry's outbox switched off nothing reaches the topology topic, yet the agent probes the
 * registered cluster.
 */
class RegistryInitialLoadIT {

    @Test
    void anAgentProbesAClusterItOnlyKnowsFromTheRegistry() throws Exception {
        try (ControlPlane plane = ControlPlane.start(0, Map.of("regent.registry.outbox.enabled", "false"));
             PostgresCluster pg = PostgresCluster.builder().name("loaded").nodes(2)
                     .controlRole(ControlPlane.CONTROL_ROLE).start()) {
            try (AutoCloseable registered = plane.register(pg, Map.of())) {
                assertThat(plane.topologyEvents("loaded")).as("nothing on the topology topic").isEmpty();
                plane.startAgent("agent-rest", "zone-r");
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    List<NodeObserved> observed = TopicReader.readAll(plane.kafka,
                            Topics.NODE_HEALTH.name(), "loaded").stream()
                            .map(r -> r.value().data(NodeObserved.class)).toList();
                    assertThat(observed).anySatisfy(o -> {
                        assertThat(o.node()).isEqualTo("loaded-1");
                        assertThat(o.role()).isEqualTo(NodeRole.LEADER);
                        assertThat(o.observerId()).isEqualTo("agent-rest");
                    });
                    assertThat(observed).anySatisfy(o -> {
                        assertThat(o.node()).isEqualTo("loaded-2");
                        assertThat(o.role()).isEqualTo(NodeRole.FOLLOWER);
                    });
                });
            }
        }
    }
}
