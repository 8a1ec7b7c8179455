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

    /**
     * A node became the leader at {@code at} (the operation's "promoted" phase; the first leader at the start);
     * {@code switchLsn}: where its timeline branched off the previous one (the final leader's timeline history),
     * null when unknown.
     */
    public record Promotion(Instant at, String node, Long switchLsn) {
        public Promotion(Instant at, String node) {
            this(at, node, null);
        }
    }

    /**
     * Asynchronous replication: the acknowledged writes a failover gave up - taken by the leader it deposed
     * and not on the node it promoted - and how far past the branch point the last of them was (bytes of WAL,
     * null when unknown). The RPO of that failover, bounded by the cluster's {@code maxLagOnFailoverBytes}.
     */
    public record AsyncLoss(Promotion failover, String deposed, int writes, Long bytes) {
    }

    /** A fault as it happened: when, and how many failovers started while it lasted (recovery included). */
    public record FaultWindow(Fault fault, Instant start, Instant end, int failoversStarted) {
    }

    /** An automatic or manual failover's record at the end. */
    public record FailoverRecord(String id, String status, List<String> phases) {
    }

    /**
     * @param lost       acknowledged writes missing at the end that no failover of an asynchronous cluster explains
     * @param asyncLoss  per failover that gave writes up (asynchronous mode only; empty when synchronous)
     * @param rpoExceeded the failovers among them that gave up more WAL than the cluster's bound
     */
    public record Verdict(int acknowledged, List<Long> lost, List<CheckingWriter.Ack> splitBrain,
            List<FaultWindow> falseFailovers, List<FaultWindow> missedFailovers, List<FailoverRecord> incomplete,
            WriteGap longestWriteGap, List<WriteGap> stranded, List<AsyncLoss> asyncLoss,
            List<AsyncLoss> rpoExceeded) {

        public boolean passed() {
            return lost.isEmpty() && splitBrain.isEmpty() && falseFailovers.isEmpty() && incomplete.isEmpty()
                    && stranded.isEmpty() && rpoExceeded.isEmpty();
        }
    }

    private Checker() {
    }

    /** Synchronous replication: every acknowledged write must be on the final leader. */
    public static Verdict check(List<CheckingWriter.Ack> acks, Set<Long> onFinalLeader, List<Promotion> promotions,
            List<FaultWindow> faults, List<FailoverRecord> failovers) {
        return check(acks, onFinalLeader, promotions, faults, failovers, null);
    }

    /**
     * @param maxLagOnFailoverBytes null: synchronous replication, any acknowledged write missing is lost;
     *                              otherwise asynchronous: a write its leader acknowledged before a failover
     *                              deposed it may be missing (counted per failover), within this many bytes
     */
    public static Verdict check(List<CheckingWriter.Ack> acks, Set<Long> onFinalLeader, List<Promotion> promotions,
            List<FaultWindow> faults, List<FailoverRecord> failovers, Long maxLagOnFailoverBytes) {
        List<Promotion> timeline = promotions.stream().sorted(Comparator.comparing(Promotion::at)).toList();
        List<CheckingWriter.Ack> splitBrain = acks.stream().filter(ack -> !wasLeader(timeline, ack.node(), ack.at()))
                .toList();
        List<Long> lost = new ArrayList<>();
        java.util.Map<Integer, List<CheckingWriter.Ack>> givenUp = new java.util.TreeMap<>();
        for (CheckingWriter.Ack ack : acks) {
            if (onFinalLeader.contains(ack.id())) {
                continue;
            }
            // a write acknowledged by a node that was not the leader then is no failover's to give up
            int deposedBy = maxLagOnFailoverBytes == null || splitBrain.contains(ack) ? -1 : deposedBy(timeline, ack);
            if (deposedBy < 0) {
                lost.add(ack.id());
            } else {
                givenUp.computeIfAbsent(deposedBy, i -> new ArrayList<>()).add(ack);
            }
        }
        lost.sort(Comparator.naturalOrder());
        List<AsyncLoss> asyncLoss = new ArrayList<>();
        givenUp.forEach((index, writes) -> {
            Promotion failover = timeline.get(index);
            long highest = writes.stream().mapToLong(CheckingWriter.Ack::lsn).max().orElse(-1);
            Long bytes = failover.switchLsn() == null || highest < 0 ? null
                    : Math.max(0, highest - failover.switchLsn());
            asyncLoss.add(new AsyncLoss(failover, writes.get(0).node(), writes.size(), bytes));
        });
        List<AsyncLoss> rpoExceeded = asyncLoss.stream().filter(loss -> loss.bytes() != null
                && loss.bytes() > maxLagOnFailoverBytes).toList();
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
        return new Verdict(acks.size(), lost, splitBrain, falseFailovers, missed, incomplete, longest, stranded,
                asyncLoss, rpoExceeded);
    }

    /**
     * The index in {@code timeline} of the promotion that ended the stint in which {@code ack}'s node led when it
     * acknowledged it - a failover that deposed it - or -1 when its node never lost the lead after that write.
     */
    static int deposedBy(List<Promotion> timeline, CheckingWriter.Ack ack) {
        for (int i = timeline.size() - 1; i >= 0; i--) {
            Promotion stint = timeline.get(i);
            if (stint.node().equals(ack.node()) && !ack.at().isBefore(stint.at().minus(EARLY_ACCEPTANCE))) {
                return i + 1 < timeline.size() ? i + 1 : -1;
            }
        }
        return -1;
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
