package io.regent.devstack.chaos;

import io.regent.devstack.client.CheckingWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The verdict of a campaign, from what the clients were told and what the cluster holds at the
 * end. Pure: every input is data, so each rule has its own table of cases.
 */
public final class Checker {

    /**
     * How much earlier than its recorded start a leadership may take writes: the failover-service
     * records "promoted" after {@code pg_promote} returned, after the node began to accept writes.
     */
    static final Duration EARLY_ACCEPTANCE = Duration.ofMillis(500);
    /** How long an acknowledgement may take to reach the client: a commit just before the successor's promotion. */
    static final Duration DELIVERY = Duration.ofMillis(100);
    /**
     * The longest a client that follows the announced leader may go without an acknowledged write before the
     * cluster counts as stranded (DESIGN.md invariant 11): a failover, a rewind and a restart fit well inside.
     */
    static final Duration STRANDED = Duration.ofSeconds(30);
    /** The client that writes wherever the topology says the leader is. */
    static final String FOLLOWING_WRITER = "following";

    /** Two consecutive acknowledged writes of the following client, and the time without any between them. */
    public record WriteGap(Instant after, Instant before) {
        public Duration length() {
            return Duration.between(after, before);
        }
    }

    /** A node became the leader at {@code at} (the operation's "promoted" phase; the first leader at the start). */
    public record Promotion(Instant at, String node) {
    }

    /** A fault as it happened: when, and how many failovers started while it lasted (recovery included). */
    public record FaultWindow(Fault fault, Instant start, Instant end, int failoversStarted) {
    }

    /** An automatic or manual failover's record at the end. */
    public record FailoverRecord(String id, String status, List<String> phases) {
    }

    public record Verdict(int acknowledged, List<Long> lost, List<CheckingWriter.Ack> splitBrain,
            List<FaultWindow> falseFailovers, List<FaultWindow> missedFailovers, List<FailoverRecord> incomplete,
            WriteGap longestWriteGap, List<WriteGap> stranded) {

        public boolean passed() {
            return lost.isEmpty() && splitBrain.isEmpty() && falseFailovers.isEmpty() && incomplete.isEmpty()
                    && stranded.isEmpty();
        }
    }

    private Checker() {
    }

    public static Verdict check(List<CheckingWriter.Ack> acks, Set<Long> onFinalLeader, List<Promotion> promotions,
            List<FaultWindow> faults, List<FailoverRecord> failovers) {
        List<Long> lost = acks.stream().map(CheckingWriter.Ack::id).filter(id -> !onFinalLeader.contains(id))
                .sorted().toList();
        List<Promotion> timeline = promotions.stream().sorted(Comparator.comparing(Promotion::at)).toList();
        List<CheckingWriter.Ack> splitBrain = acks.stream().filter(ack -> !wasLeader(timeline, ack.node(), ack.at()))
                .toList();
        List<FaultWindow> falseFailovers = faults.stream().filter(f -> !f.fault().failoverExpected()
                && f.failoversStarted() > 0).toList();
        List<FaultWindow> missed = faults.stream().filter(f -> f.fault().failoverExpected()
                && f.failoversStarted() == 0).toList();
        List<FailoverRecord> incomplete = new ArrayList<>();
        for (FailoverRecord record : failovers) {
            boolean complete = switch (record.status()) {
                case "SUCCEEDED" -> record.phases().containsAll(List.of("detected", "decided", "promoted", "announced"));
                case "FAILED", "CANCELLED" -> true; // ended, with its reason on record
                default -> false; // still open after the campaign settled
            };
            if (!complete) {
                incomplete.add(record);
            }
        }
        List<WriteGap> gaps = writeGaps(acks);
        WriteGap longest = gaps.stream().max(Comparator.comparing(WriteGap::length)).orElse(null);
        List<WriteGap> stranded = gaps.stream().filter(g -> g.length().compareTo(STRANDED) > 0).toList();
        return new Verdict(acks.size(), lost, splitBrain, falseFailovers, missed, incomplete, longest, stranded);
    }

    /** The gaps between consecutive acknowledged writes of the following client, in time order. */
    static List<WriteGap> writeGaps(List<CheckingWriter.Ack> acks) {
        List<Instant> times = acks.stream().filter(a -> a.writer().equals(FOLLOWING_WRITER))
                .map(CheckingWriter.Ack::at).sorted().toList();
        List<WriteGap> gaps = new ArrayList<>();
        for (int i = 1; i < times.size(); i++) {
            gaps.add(new WriteGap(times.get(i - 1), times.get(i)));
        }
        return gaps;
    }

    /** Whether {@code node} led at {@code at}, allowing {@link #EARLY_ACCEPTANCE} and {@link #DELIVERY}. */
    static boolean wasLeader(List<Promotion> timeline, String node, Instant at) {
        for (int i = 0; i < timeline.size(); i++) {
            Promotion promotion = timeline.get(i);
            Instant start = promotion.at().minus(EARLY_ACCEPTANCE);
            Instant end = i + 1 < timeline.size() ? timeline.get(i + 1).at().plus(DELIVERY) : Instant.MAX;
            if (promotion.node().equals(node) && !at.isBefore(start) && at.isBefore(end)) {
                return true;
            }
        }
        return false;
    }
}
