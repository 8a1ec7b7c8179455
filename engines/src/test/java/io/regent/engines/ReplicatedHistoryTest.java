package io.regent.engines;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReplicatedHistoryTest {

    static Stream<Arguments> lacking() {
        return Stream.of(
                Arguments.of("PostgreSQL: less WAL received lacks the rest", Engine.POSTGRESQL,
                        follower(100L, null, null), follower(200L, null, null), List.of("WAL up to 200")),
                Arguments.of("PostgreSQL: more WAL lacks nothing", Engine.POSTGRESQL,
                        follower(200L, null, null), follower(100L, null, null), List.of()),
                Arguments.of("PostgreSQL: equal positions lack nothing", Engine.POSTGRESQL,
                        follower(200L, null, null), follower(200L, null, null), List.of()),
                Arguments.of("MariaDB: the set decides, not the sequence number", Engine.MARIADB,
                        follower(45L, "0-1-45", "0-1-45"), follower(45L, "0-1-44,0-3-45", "0-1-44,0-3-45"),
                        List.of("0-3-45")),
                Arguments.of("MariaDB: received but not applied counts as held", Engine.MARIADB,
                        follower(50L, "0-1-40", "0-1-50"), follower(48L, "0-1-48", "0-1-48"), List.of()),
                Arguments.of("MariaDB: behind in the leader's stream", Engine.MARIADB,
                        follower(48L, "0-1-48", "0-1-48"), follower(50L, "0-1-40", "0-1-50"), List.of("0-1-50")),
                Arguments.of("MariaDB: several streams after failovers", Engine.MARIADB,
                        follower(60L, "0-1-45,0-2-60", null), follower(58L, "0-1-45,0-2-58", null), List.of()),
                Arguments.of("MariaDB from an agent without GTID sets: the sequence numbers", Engine.MARIADB,
                        follower(48L, null, null), follower(50L, null, null), List.of("transactions up to 50")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void lacking(String why, Engine engine, NodeObserved node, NodeObserved other, List<String> lacking) {
        assertThat(ReplicatedHistory.lacking(engine, node, other)).isEqualTo(lacking);
    }

    static Stream<Arguments> errant() {
        NodeObserved leader = leader("0-1-45,0-2-55");
        return Stream.of(
                Arguments.of("PostgreSQL followers cannot write", Engine.POSTGRESQL, follower(10L, null, null), leader,
                        List.of()),
                Arguments.of("MariaDB: the leader's stream went on", Engine.MARIADB,
                        follower(60L, "0-1-45,0-2-60", null), leader, List.of()),
                Arguments.of("MariaDB: a write on the follower", Engine.MARIADB,
                        follower(56L, "0-1-45,0-2-55,0-3-56", null), leader, List.of("0-3-56")),
                Arguments.of("MariaDB: the leader never seen healthy", Engine.MARIADB,
                        follower(56L, "0-3-56", null), null, List.of()),
                Arguments.of("MariaDB: a follower without sets", Engine.MARIADB, follower(56L, null, null), leader,
                        List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void errant(String why, Engine engine, NodeObserved node, NodeObserved leader, List<String> errant) {
        assertThat(ReplicatedHistory.errant(engine, node, leader)).isEqualTo(errant);
    }

    private static NodeObserved follower(Long received, String executed, String receivedSet) {
        return new NodeObserved("c", "f", "agent", "z", Instant.EPOCH, 1L, null, true, null, NodeRole.FOLLOWER, true,
                null, null, received, received, 0L, 0L, null, List.of(), null, null, executed, receivedSet, null, null);
    }

    private static NodeObserved leader(String executed) {
        return new NodeObserved("c", "l", "agent", "z", Instant.EPOCH, 1L, null, true, null, NodeRole.LEADER, false,
                null, 55L, null, null, null, null, null, List.of(), null, null, executed, null, null, null);
    }
}
