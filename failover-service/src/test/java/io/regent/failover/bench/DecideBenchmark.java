package io.regent.failover.bench;

import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.ProbeError;
import io.regent.events.ProbeErrorKind;
import io.regent.events.Replication;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.events.WalReceiverState;
import io.regent.failover.cluster.ClusterState;
import io.regent.failover.decision.ClusterPolicy;
import io.regent.failover.decision.Decider;
import io.regent.failover.decision.Decision;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * decide() throughput on one core: each observation is recorded into the cluster's state and the
 * cluster is decided again, as the service does. A 3-node cluster watched by 3 agents at 1 Hz
 * (9 observations per second); the stream alternates healthy periods with a leader failure so
 * every rule gets exercised. Not a test: it asserts nothing and runs only with {@code -Pbench}.
 *
 * <pre>./mvnw -Pbench -pl failover-service test -Dsurefire.failIfNoSpecifiedTests=false -Dtest=DecideBenchmark</pre>
 * (after {@code ./mvnw install -DskipTests}). A last, separate round times each record-and-decide on its own
 * ({@code System.nanoTime} around every call) for the percentiles; the rate rounds are not slowed by it.
 */
@Tag("benchmark")
class DecideBenchmark {

    private static final int OBSERVATIONS = Integer.getInteger("bench.observations", 300_000);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 7);
    private static final Instant START = Instant.parse("2026-11-26T00:00:00Z");

    @Test
    void observationsDecidedPerSecondOnOneCore() {
        List<NodeObserved> stream = observations();
        double[] rates = new double[ROUNDS];
        long failovers = 0;
        for (int round = -2; round < ROUNDS; round++) { // two warm-up rounds
            ClusterState state = state();
            long started = System.nanoTime();
            long decided = 0;
            for (NodeObserved observed : stream) {
                state.record(observed, observed.observedAt());
                Decision decision = Decider.decide(state.snapshot(), observed.observedAt());
                if (decision instanceof Decision.Failover) {
                    decided++;
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            if (round >= 0) {
                rates[round] = stream.size() / seconds;
                failovers = decided;
            }
        }
        long[] each = new long[stream.size()];
        ClusterState timed = state();
        for (int i = 0; i < stream.size(); i++) {
            NodeObserved observed = stream.get(i);
            long started = System.nanoTime();
            timed.record(observed, observed.observedAt());
            Decider.decide(timed.snapshot(), observed.observedAt());
            each[i] = System.nanoTime() - started;
        }
        Arrays.sort(each);
        Arrays.sort(rates);
        System.out.println();
        System.out.printf(Locale.ROOT, "decide() benchmark: %d observations x %d rounds, one thread%n", stream.size(),
                ROUNDS);
        System.out.printf(Locale.ROOT, "observations/s: min %.0f  median %.0f  max %.0f  (failover decisions per "
                + "round: %d)%n", rates[0], rates[ROUNDS / 2], rates[ROUNDS - 1], failovers);
        System.out.printf(Locale.ROOT, "per record-and-decide: p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us%n",
                micros(each, 0.50), micros(each, 0.99), micros(each, 0.999), each[each.length - 1] / 1e3);
        System.out.printf(Locale.ROOT, "{\"decideObservationsPerSecond\":{\"min\":%.0f,\"median\":%.0f,\"max\":%.0f},"
                + "\"decideMicros\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f}}%n", rates[0], rates[ROUNDS / 2],
                rates[ROUNDS - 1], micros(each, 0.50), micros(each, 0.99), micros(each, 0.999));
    }

    private static double micros(long[] sorted, double quantile) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(quantile * sorted.length) - 1)] / 1e3;
    }

    private static ClusterState state() {
        ClusterState state = new ClusterState("bench");
        List<TopologyNode> nodes = List.of(
                new TopologyNode("a", "127.0.0.1", 5432, "z1", NodeRole.LEADER, 100, null, List.of()),
                new TopologyNode("b", "127.0.0.1", 5433, "z2", NodeRole.FOLLOWER, 100, "a", List.of()),
                new TopologyNode("c", "127.0.0.1", 5434, "z3", NodeRole.FOLLOWER, 100, "a", List.of()));
        state.topology(new TopologyChanged("bench", 1, Engine.POSTGRESQL, "a", nodes, Replication.ASYNC, false, START,
                "bench", null));
        state.policy(new ClusterPolicy(true, Duration.ofMillis(1500), 2, 16L << 20, false, Duration.ofMinutes(5),
                Duration.ofSeconds(3)));
        return state;
    }

    /** One probe per node per agent per second; the leader is down for 5 s out of every 60. */
    private static List<NodeObserved> observations() {
        List<NodeObserved> stream = new ArrayList<>(OBSERVATIONS);
        String[] agents = {"m1", "m2", "m3"};
        String[] nodes = {"a", "b", "c"};
        for (int i = 0; stream.size() < OBSERVATIONS; i++) {
            Instant at = START.plusMillis(i * 1000L);
            boolean leaderDown = i % 60 >= 55;
            for (String agent : agents) {
                for (String node : nodes) {
                    Instant observedAt = at.plusMillis(agent.hashCode() % 300 + node.hashCode() % 50);
                    if (node.equals("a")) {
                        stream.add(leaderDown
                                ? new NodeObserved("bench", node, agent, "z", observedAt, 1L, Engine.POSTGRESQL, false,
                                        new ProbeError(ProbeErrorKind.REFUSED, "refused"), NodeRole.UNKNOWN, null, null,
                                        null, null, null, null, null, null, List.of(), null, null, null, null, null, null)
                                : new NodeObserved("bench", node, agent, "z", observedAt, 1L, Engine.POSTGRESQL, true,
                                        null, NodeRole.LEADER, false, 1L, 1000L * i, null, null, null, null, null,
                                        List.of(), null, "15", null, null, null, null));
                    } else {
                        Instant heard = leaderDown ? START.plusMillis(1000L * (i - i % 60 + 54)) : observedAt;
                        stream.add(new NodeObserved("bench", node, agent, "z", observedAt, 1L, Engine.POSTGRESQL, true,
                                null, NodeRole.FOLLOWER, true, 1L, null, 1000L * i, 1000L * i, 0L, 0L,
                                new WalReceiverState("streaming", "127.0.0.1", 5432, 1L, 1000L * i, heard, heard, null,
                                        java.time.Duration.between(heard, observedAt).toMillis()),
                                List.of(), null, "15", null, null, null, null));
                    }
                }
            }
        }
        return stream;
    }
}
