package io.regent.monitor.lease;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.monitor.lease.LeaseRules.Action;
import io.regent.monitor.lease.LeaseRules.Renewal;
import io.regent.events.ReplicaState;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the leader's agent does after a renewal: table of answer x time since the last grant x fenced. */
class LeaseRulesTest {

    private static final Duration LEASE = Duration.ofSeconds(5);
    private static final Duration AHEAD = Duration.ofMillis(1_500);

    static Stream<Arguments> rows() {
        return Stream.of(
                Arguments.of(Renewal.GRANTED, ms(4_900), false, Action.NOTHING, "lease renewed for 5000 ms"),
                Arguments.of(Renewal.GRANTED, null, true, Action.NOTHING, "lease renewed"),
                Arguments.of(Renewal.FAILOVER_RUNNING, ms(800), false, Action.FENCE, "a failover of this leader is on "
                        + "record and the lease was not renewed: fencing the server before another node is promoted"),
                Arguments.of(Renewal.FAILOVER_RUNNING, ms(800), true, Action.NOTHING,
                        "fenced already since the last renewal"),
                Arguments.of(Renewal.NOT_LEADER, ms(800), false, Action.FENCE_POLITELY,
                        "no longer counts this node as the leader"),
                Arguments.of(Renewal.UNANSWERED, null, false, Action.NOTHING, "no lease held yet"),
                Arguments.of(Renewal.UNANSWERED, ms(1_000), false, Action.NOTHING,
                        "renewal unanswered; the lease runs 4000 ms more"),
                Arguments.of(Renewal.UNANSWERED, ms(3_499), false, Action.NOTHING, "runs 1501 ms more"),
                Arguments.of(Renewal.UNANSWERED, ms(3_500), false, Action.FENCE_UNLESS_FAILSAFE,
                        "no renewal for 3500 ms of a 5000 ms lease and the registry does not answer"),
                Arguments.of(Renewal.UNANSWERED, ms(60_000), false, Action.FENCE_UNLESS_FAILSAFE,
                        "no renewal for 60000 ms"),
                Arguments.of(Renewal.UNANSWERED, ms(60_000), true, Action.NOTHING, "fenced already"));
    }

    @ParameterizedTest(name = "{0} after {1}, fenced {2} -> {3}")
    @MethodSource("rows")
    void decide(Renewal renewal, Duration sinceLastGrant, boolean fenced, Action action, String reason) {
        LeaseRules.Outcome outcome = LeaseRules.afterRenewal(renewal, sinceLastGrant, LEASE, AHEAD, fenced);
        assertThat(outcome.action()).isEqualTo(action);
        assertThat(outcome.reason()).contains(reason);
    }

    static Stream<Arguments> failsafeRows() {
        return Stream.of(
                Arguments.of(List.of("b", "c"), List.of(sender("b", "streaming", 300L), sender("c", "streaming", 1_900L)),
                        Action.NOTHING, "every follower streams from this node and replied within 2000 ms, so none "
                                + "was promoted: keeping it writable (failsafe)"),
                // cut off by a partition: the WAL sender still says streaming, its standby went quiet
                Arguments.of(List.of("b", "c"), List.of(sender("b", "streaming", 300L), sender("c", "streaming", 2_600L)),
                        Action.FENCE, "follower c shows as streaming but has not replied for 2600 ms (more than "
                                + "2000 ms): it may have been cut off and promoted"),
                Arguments.of(List.of("b", "c"), List.of(sender("b", "streaming", 300L), sender("c", "streaming", null)),
                        Action.FENCE, "follower c shows as streaming but never replied"),
                Arguments.of(List.of("b", "c"), List.of(sender("b", "streaming", 300L)), Action.FENCE,
                        "follower c does not stream from this node"),
                Arguments.of(List.of("b", "c"), List.of(sender("b", "catchup", 100L), sender("c", "streaming", 100L)),
                        Action.FENCE, "follower b does not stream from this node"),
                // a standby of somebody else's name is not one of this topology's followers
                Arguments.of(List.of("b"), List.of(sender("x", "streaming", 100L)), Action.FENCE,
                        "follower b does not stream from this node"),
                Arguments.of(List.of(), List.of(), Action.NOTHING, "no other node could have been promoted"));
    }

    @ParameterizedTest(name = "failsafe {0} / {1} -> {2}")
    @MethodSource("failsafeRows")
    void failsafe(List<String> followers, List<ReplicaState> replicas, Action action, String reason) {
        LeaseRules.Outcome outcome = LeaseRules.failsafe(followers, replicas, Duration.ofSeconds(2));
        assertThat(outcome.action()).isEqualTo(action);
        assertThat(outcome.reason()).contains(reason);
    }

    private static ReplicaState sender(String name, String state, Long replyAgeMillis) {
        return new ReplicaState(name, "127.0.0.1", state, "async", 0, 10L, 10L, 10L, 10L, 0L, 0L, 0L, 0L, null,
                replyAgeMillis);
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
