package io.regent.ctl.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.regent.ctl.api.Gateway;
import io.regent.events.Engine;
import io.regent.events.NodeRole;
import io.regent.events.OperationKind;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The health a table shows: the dashboard's rule, each reason asserted. */
class ViewsTest {

    private static final Instant T = Instant.parse("2026-12-07T04:00:00Z");

    private static TopologyChanged topology(String leader) {
        return new TopologyChanged("pg", 3, Engine.POSTGRESQL, leader, List.of(
                new TopologyNode("pg-1", "h1", 5432, "z1", NodeRole.LEADER, 100, null, List.of()),
                new TopologyNode("pg-2", "h2", 5432, "z2", NodeRole.FOLLOWER, 100, "pg-1", List.of())),
                null, false, T, "test", null, 7);
    }

    private static ObjectNode seen(String node, boolean reachable, String receiver, long lag, String receivedAt) {
        ObjectNode o = Gateway.JSON.createObjectNode().put("clusterId", "pg").put("node", node)
                .put("reachable", reachable).put("lagBytes", lag).put("receivedAt", receivedAt)
                .put("observerId", "agent-1");
        if (receiver != null) {
            o.put("walReceiverStatus", receiver);
        }
        if (!reachable) {
            o.put("error", "CONNECTION_REFUSED");
        }
        return o;
    }

    private static OperationUpdated op(OperationKind kind, OperationStatus status) {
        return new OperationUpdated(UUID.fromString("00000000-0000-0000-0000-000000000001"), "pg", kind, status,
                "pg-1", "pg-2", 3L, null, "olivia", "test", List.of(), T, T, null, null);
    }

    static Stream<Arguments> cases() {
        String now = "2026-12-07T04:00:01Z";
        return Stream.of(
                Arguments.of("healthy", topology("pg-1"), List.of(seen("pg-1", true, null, 0, now),
                        seen("pg-2", true, "streaming", 100, now)), null,
                        "healthy", "leader writable, every follower streaming"),
                Arguments.of("switching over", topology("pg-1"), List.of(), op(OperationKind.SWITCHOVER,
                        OperationStatus.RUNNING), "switching-over",
                        "switchover 00000000-0000-0000-0000-000000000001 is running"),
                Arguments.of("a finished failover does not count", topology("pg-1"), List.of(seen("pg-1", true, null,
                        0, now), seen("pg-2", true, "streaming", 0, now)), op(OperationKind.FAILOVER,
                        OperationStatus.SUCCEEDED), "healthy", "leader writable, every follower streaming"),
                Arguments.of("a running rejoin is no leader change", topology("pg-1"), List.of(seen("pg-1", true,
                        null, 0, now), seen("pg-2", false, null, 0, now)), op(OperationKind.REJOIN,
                        OperationStatus.RUNNING), "degraded", "pg-2 unreachable (CONNECTION_REFUSED)"),
                Arguments.of("no leader", topology(null), List.of(), null, "leaderless", "no leader on record"),
                Arguments.of("leader unreachable", topology("pg-1"), List.of(seen("pg-1", false, null, 0, now)), null,
                        "leaderless", "leader pg-1 unreachable (CONNECTION_REFUSED)"),
                Arguments.of("no report of a follower", topology("pg-1"), List.of(seen("pg-1", true, null, 0, now)),
                        null, "degraded", "pg-2 no report yet"),
                Arguments.of("follower not streaming", topology("pg-1"), List.of(seen("pg-1", true, null, 0, now),
                        seen("pg-2", true, null, 0, now)), null, "degraded", "pg-2 not streaming"),
                Arguments.of("follower far behind", topology("pg-1"), List.of(seen("pg-1", true, null, 0, now),
                        seen("pg-2", true, "streaming", 17L * 1024 * 1024, now)), null, "degraded",
                        "pg-2 behind by 17.0 MiB"),
                Arguments.of("the newest report counts, not the first", topology("pg-1"), List.of(
                        seen("pg-1", true, null, 0, now), seen("pg-2", true, "streaming", 0, "2026-12-07T04:00:05Z"),
                        seen("pg-2", false, null, 0, "2026-12-07T04:00:02Z")), null,
                        "healthy", "leader writable, every follower streaming"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void health(String name, TopologyChanged topology, List<JsonNode> observations, OperationUpdated newest,
            String state, String reason) {
        ArrayNode array = Gateway.JSON.createArrayNode().addAll(observations);
        Views.Health health = Views.health(topology, Views.newestByNode(array), Optional.ofNullable(newest));
        assertThat(health.reason()).isEqualTo(reason);
        assertThat(health.state()).isEqualTo(state);
    }

    @Test
    void rolesSayWhenTheNodeDisagreesWithTheRegistry() {
        TopologyNode follower = topology("pg-1").nodes().get(1);
        assertThat(Views.role(follower, seen("pg-2", true, "streaming", 0, "x").put("role", "FOLLOWER")))
                .isEqualTo("FOLLOWER");
        assertThat(Views.role(follower, seen("pg-2", true, null, 0, "x").put("role", "LEADER")))
                .isEqualTo("FOLLOWER (seen LEADER)");
        assertThat(Views.role(follower, seen("pg-2", false, null, 0, "x").put("role", "LEADER")))
                .as("an unreachable node's last role is no disagreement").isEqualTo("FOLLOWER");
        assertThat(Views.role(follower, null)).isEqualTo("FOLLOWER");
    }

    @Test
    void statesOfLeadersAndFollowers() {
        TopologyNode leader = topology("pg-1").nodes().get(0);
        TopologyNode follower = topology("pg-1").nodes().get(1);
        assertThat(Views.state(leader, true, seen("pg-1", true, null, 0, "x").put("readOnly", false)))
                .isEqualTo("running");
        assertThat(Views.state(leader, true, seen("pg-1", true, null, 0, "x").put("readOnly", true)))
                .isEqualTo("running, read-only");
        assertThat(Views.state(follower, false, seen("pg-2", true, "streaming", 0, "x"))).isEqualTo("streaming");
        assertThat(Views.state(follower, false, seen("pg-2", true, null, 0, "x")))
                .isEqualTo("running, not replicating");
        assertThat(Views.state(follower, false, seen("pg-2", false, null, 0, "x")))
                .isEqualTo("unreachable (CONNECTION_REFUSED)");
        assertThat(Views.state(follower, false, null)).isEqualTo("no report");
    }

    @Test
    void bytesAndDurationsForPeople() {
        Map<Long, String> bytes = Map.of(0L, "0 B", 1023L, "1023 B", 1024L, "1.0 KiB", 1536L, "1.5 KiB",
                16L * 1024 * 1024, "16.0 MiB", 3L * 1024 * 1024 * 1024, "3.0 GiB");
        bytes.forEach((value, text) -> assertThat(Views.bytes(value)).as("%d", value).isEqualTo(text));
        assertThat(Views.bytes(null)).isEmpty();
        assertThat(Views.lag(Engine.MARIADB, 3L)).as("MariaDB counts transactions").isEqualTo("3 trx");
        assertThat(Views.lag(Engine.POSTGRESQL, 2048L)).isEqualTo("2.0 KiB");
        assertThat(Views.lag(Engine.MARIADB, null)).isEmpty();
        assertThat(Views.duration(java.time.Duration.ofMillis(1234))).isEqualTo("1.2 s");
        assertThat(Views.duration(java.time.Duration.ofSeconds(125))).isEqualTo("2 min 05 s");
        assertThat(Views.duration(java.time.Duration.ofMinutes(185))).isEqualTo("3 h 05 min");
    }
}
