package io.regent.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void topicNamesMatchTheDesignContract() {
        assertThat(Topics.ALL).extracting(TopicSpec::name).containsExactly(
                "regent.node-health.v1", "regent.topology.v1", "regent.commands.v1", "regent.operations.v1");
    }

    @Test
    void onlyTheTopologyTopicIsCompacted() {
        assertThat(Topics.TOPOLOGY.compacted()).isTrue();
        assertThat(Topics.TOPOLOGY.configs()).containsEntry("cleanup.policy", "compact");
        assertThat(Topics.ALL).filteredOn(TopicSpec::compacted).containsExactly(Topics.TOPOLOGY);
    }

    @Test
    void healthIsKeptHoursAndCommandsAndOperationsDays() {
        assertThat(Long.parseLong(Topics.NODE_HEALTH.configs().get("retention.ms"))).isEqualTo(6 * 3_600_000L);
        assertThat(Long.parseLong(Topics.COMMANDS.configs().get("retention.ms"))).isEqualTo(7 * 86_400_000L);
        assertThat(Long.parseLong(Topics.OPERATIONS.configs().get("retention.ms"))).isEqualTo(7 * 86_400_000L);
    }

    @Test
    void keyedTopicsAreCoPartitionedSoOneConsumerOwnsAllOfACluster() {
        assertThat(Topics.ALL).extracting(TopicSpec::partitions).containsOnly(Topics.PARTITIONS);
    }

    @Test
    void everyEventTypeGoesToADeclaredTopic() {
        for (EventType type : EventType.values()) {
            assertThat(Topics.ALL).contains(type.topic());
        }
        assertThat(EventType.TOPOLOGY_CHANGED.topic()).isEqualTo(Topics.TOPOLOGY);
        assertThat(EventType.NODE_OBSERVED.topic()).isEqualTo(Topics.NODE_HEALTH);
        assertThat(EventType.OPERATION_UPDATED.topic()).isEqualTo(Topics.OPERATIONS);
        assertThat(EventType.SWITCHOVER_REQUESTED.topic()).isEqualTo(Topics.COMMANDS);
    }

    @Test
    void aSpecWhoseConfigsContradictItsPolicyIsRejected() {
        assertThatThrownBy(() -> new TopicSpec("t", 1, "compact", Map.of("cleanup.policy", "delete")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cleanup.policy=compact");
    }
}
