package io.regent.monitor.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.events.KafkaAccess;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.Topics;
import io.regent.monitor.Topologies;
import io.regent.testkit.kafka.KafkaBroker;
import io.regent.testkit.kafka.TopicReader;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ServiceSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Two packaged agents, each its own process with its own id and zone, watch the same cluster and
 * publish independent observations of every node: the raw material of the failover quorum.
 */
class TwoAgentsIT {

    @Test
    void twoAgentsPublishIndependentObservationsOfTheSameNodes() throws Exception {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar").toAbsolutePath();
        assertThat(jar).as("the packaged agent").exists();
        try (KafkaBroker kafka = KafkaBroker.start();
             PostgresCluster cluster = PostgresCluster.builder().name("quorum").nodes(3).start()) {
            kafka.createRegentTopics();
            Topologies.announce(kafka, "quorum", cluster);
            List<QuarkusService> agents = new ArrayList<>();
            try {
                for (String[] agent : new String[][] {{"agent-a", "zone-a"}, {"agent-b", "zone-b"}}) {
                    agents.add(startAgent(jar, agent[0], agent[1], kafka, cluster));
                }
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    List<NodeObserved> observed = TopicReader.readAll(kafka,
                            Topics.NODE_HEALTH.name(), "quorum").stream()
                            .map(r -> r.value().data(NodeObserved.class)).toList();
                    Map<String, Set<String>> observersByNode = observed.stream().collect(Collectors.groupingBy(
                            NodeObserved::node, Collectors.mapping(NodeObserved::observerId, Collectors.toSet())));
                    assertThat(observersByNode).containsOnlyKeys("quorum-1", "quorum-2", "quorum-3");
                    assertThat(observersByNode.values()).allSatisfy(ids -> assertThat(ids)
                            .containsExactlyInAnyOrder("agent-a", "agent-b"));
                    // each agent keeps probing on its own: several successful probes of the leader from each
                    // (a first probe that logs in while the machine is busy may time out, and says so)
                    for (String agent : List.of("agent-a", "agent-b")) {
                        List<NodeObserved> mine = observed.stream().filter(o -> o.observerId().equals(agent)
                                && o.node().equals("quorum-1") && o.reachable()).toList();
                        assertThat(mine).hasSizeGreaterThanOrEqualTo(3)
                                .allSatisfy(o -> assertThat(o.role()).isEqualTo(NodeRole.LEADER));
                        assertThat(mine.get(0).observerZone()).isEqualTo(agent.equals("agent-a") ? "zone-a"
                                : "zone-b");
                    }
                });
            } finally {
                agents.forEach(QuarkusService::close);
            }
        }
    }

    private static QuarkusService startAgent(Path jar, String id, String zone, KafkaBroker kafka,
            PostgresCluster cluster) {
        // the password goes through the environment, not the command line other users can read
        return QuarkusService.start(id, jar, Map.of("regent.monitor.agent-id", id, "regent.monitor.zone", zone,
                "kafka.bootstrap.servers", kafka.bootstrapServers(),
                "regent.monitor.registry.initial-load", "false", // no registry here: the topic alone
                "regent.monitor.credentials.default.username", cluster.controlRole().user()),
                ServiceSettings.kafkaIdentity(kafka, KafkaAccess.MONITOR, Map.of("REGENT_NODE_PASSWORD",
                        cluster.controlRole().password())), Duration.ofSeconds(90));
    }
}
