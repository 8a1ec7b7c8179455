package io.regent.devstack.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.devstack.chaos.Checker.FailoverRecord;
import io.regent.devstack.chaos.Checker.FaultWindow;
import io.regent.devstack.chaos.Checker.Promotion;
import io.regent.devstack.client.CheckingWriter.Ack;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Each rule of the campaign's verdict, with the cases that must pass and the ones that must not. */
class CheckerTest {

    private static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");
    /** demo-1 leads from the start, demo-2 from T0+10 s, demo-1 again from T0+20 s. */
    private static final List<Promotion> TIMELINE = List.of(new Promotion(Instant.EPOCH, "demo-1"),
            new Promotion(T0.plusSeconds(10), "demo-2"), new Promotion(T0.plusSeconds(20), "demo-1"));

    @ParameterizedTest(name = "{0} acknowledged at T0{1}ms: leader? {2}")
    @CsvSource({
            "demo-1, +0,     true,  the first leader before any failover",
            "demo-1, +9999,  true,  just before its successor's promotion",
            "demo-1, +10050, true,  acknowledged within the delivery time after the successor's promotion",
            "demo-1, +10200, false, a write the old leader took after demo-2 was promoted: split brain",
            "demo-2, +9600,  true,  the new leader taking writes shortly before its promotion was recorded",
            "demo-2, +9000,  false, demo-2 taking writes a second before it was promoted: split brain",
            "demo-2, +15000, true,  the leader of the middle stint",
            "demo-3, +15000, false, never a leader",
            "demo-1, +25000, true,  demo-1 leading again after the second failover",
            "demo-2, +25000, false, the old leader of the second stint after its successor"})
    void wasLeader(String node, long offsetMillis, boolean expected, String why) {
        assertThat(Checker.wasLeader(TIMELINE, node, T0.plusMillis(offsetMillis))).as(why).isEqualTo(expected);
    }

    @Test
    void acknowledgedWritesMissingOnTheFinalLeaderAreLost() {
        List<Ack> acks = List.of(ack(1, "demo-1", 0), ack(2, "demo-1", 100), ack(3, "demo-2", 15_000));
        Checker.Verdict verdict = Checker.check(acks, Set.of(1L, 3L, 99L), TIMELINE, List.of(), List.of());
        assertThat(verdict.lost()).containsExactly(2L);
        assertThat(verdict.passed()).isFalse();
    }

    @Test
    void unacknowledgedRowsOnTheLeaderAreNoLoss() {
        // id 99 was inserted but its answer never came: present or not, it counts for nothing
        Checker.Verdict verdict = Checker.check(List.of(ack(1, "demo-1", 0)), Set.of(1L, 99L), TIMELINE, List.of(),
                List.of());
        assertThat(verdict.lost()).isEmpty();
        assertThat(verdict.passed()).isTrue();
    }

    @Test
    void aWriteTheOldLeaderAcknowledgedAfterThePromotionIsSplitBrain() {
        Ack zombie = ack(7, "demo-1", 12_000);
        Checker.Verdict verdict = Checker.check(List.of(ack(6, "demo-2", 11_000), zombie), Set.of(6L, 7L), TIMELINE,
                List.of(), List.of());
        assertThat(verdict.splitBrain()).containsExactly(zombie);
        assertThat(verdict.passed()).isFalse();
    }

    @ParameterizedTest(name = "{0} with {1} failover(s): false {2}, missed {3}")
    @CsvSource({
            "KILL_LEADER,                        1, false, false",
            "KILL_LEADER,                        0, false, true",
            "FREEZE_LEADER,                      1, false, false",
            "KILL_FAILOVER_SERVICE_MID_OPERATION, 1, false, false",
            "STALL_LEADER_1S,                    0, false, false",
            "STALL_LEADER_1S,                    1, true,  false",
            "FREEZE_AGENT,                       1, true,  false",
            "RESTART_KAFKA,                      2, true,  false",
            "RESTART_REGISTRY,                   0, false, false"})
    void failoversAgainstWhatEachFaultCallsFor(Fault fault, int failovers, boolean falseFailover, boolean missed) {
        FaultWindow window = new FaultWindow(fault, T0, T0.plusSeconds(30), failovers);
        Checker.Verdict verdict = Checker.check(List.of(), Set.of(), TIMELINE, List.of(window), List.of());
        assertThat(verdict.falseFailovers().contains(window)).isEqualTo(falseFailover);
        assertThat(verdict.missedFailovers().contains(window)).isEqualTo(missed);
        // a missed failover is reported, but only a false one fails the campaign (a lost or split write would show it)
        assertThat(verdict.passed()).isEqualTo(!falseFailover);
    }

    @ParameterizedTest(name = "{0} {1}: complete {2}")
    @CsvSource(delimiter = '|', value = {
            "SUCCEEDED | detected,decided,fenced,promoted,repointed,announced | true",
            "SUCCEEDED | detected,decided,promoted                           | false",
            "FAILED    | detected,decided                                    | true",
            "RUNNING   | detected,decided,promoted                           | false",
            "PENDING   | detected                                            | false"})
    void failoverRecordsMustBeComplete(String status, String phases, boolean complete) {
        FailoverRecord record = new FailoverRecord("op-1", status, List.of(phases.split(",")));
        Checker.Verdict verdict = Checker.check(List.of(), Set.of(), TIMELINE, List.of(), List.of(record));
        assertThat(verdict.incomplete().isEmpty()).isEqualTo(complete);
    }

    @ParameterizedTest(name = "following writes at {0}, stale at {1}: longest gap {2} ms, stranded {3}")
    @CsvSource(delimiter = '|', value = {
            "0,1000,9000,12000 |             | 8000  | false | a failover's gap is no stranding",
            "0,1000,31000      |             | 30000 | false | exactly the bound",
            "0,1000,31001      |             | 30001 | true  | no acknowledged write for longer than 30 s: stranded",
            "0,40000           | 5000,20000  | 40000 | true  | the stale client's writes do not fill the gap",
            "0,1000            |             | 1000  | false | a short campaign"})
    void aClusterWithoutAnAcknowledgedWriteForThirtySecondsIsStranded(String following, String stale, long longest,
            boolean stranded, String why) {
        List<Ack> acks = new java.util.ArrayList<>();
        long id = 0;
        for (String at : following.split(",")) {
            acks.add(ack(++id, "demo-1", Long.parseLong(at)));
        }
        if (stale != null) {
            for (String at : stale.split(",")) {
                acks.add(new Ack(++id, "stale", "demo-1", T0.plusMillis(Long.parseLong(at))));
            }
        }
        Checker.Verdict verdict = Checker.check(acks, java.util.stream.LongStream.rangeClosed(1, id).boxed()
                .collect(java.util.stream.Collectors.toSet()), List.of(new Promotion(Instant.EPOCH, "demo-1")),
                List.of(), List.of());
        assertThat(verdict.longestWriteGap().length().toMillis()).as(why).isEqualTo(longest);
        assertThat(verdict.stranded().isEmpty()).as(why).isEqualTo(!stranded);
        assertThat(verdict.passed()).as(why).isEqualTo(!stranded);
    }

    /** demo-1 leads from the start; a failover to demo-2 branched at byte 10,000 at T0+10 s, back to demo-1 at 20,000. */
    private static final List<Promotion> ASYNC_TIMELINE = List.of(new Promotion(Instant.EPOCH, "demo-1"),
            new Promotion(T0.plusSeconds(10), "demo-2", 10_000L), new Promotion(T0.plusSeconds(20), "demo-1", 20_000L));

    @ParameterizedTest(name = "{4}")
    @CsvSource(delimiter = '|', value = {
            // node  | ms    | lsn    | bound  | why                                                                     | lost | given up (writes/bytes) | passed
            "demo-1 | 9000  | 10500  | 16384  | the deposed leader's last writes, 500 B past the branch: the failover's RPO | -    | 1/500   | true",
            "demo-1 | 9000  | 30000  | 16384  | 20,000 B past the branch, over the 16 KiB bound                             | -    | 1/20000 | false",
            "demo-2 | 15000 | 21000  | 16384  | demo-2's write before the failover back to demo-1                         | -    | 1/1000  | true",
            "demo-1 | 25000 | 25000  | 16384  | a write of the final leader's own stint: nothing explains it, lost         | 1    | -       | false",
            "demo-1 | 9000  | -1     | 16384  | no LSN known: counted in writes, no bytes                                   | -    | 1/      | true",
            "demo-1 | 9000  | 10500  |        | synchronous: any missing acknowledged write is lost                        | 1    | -       | false"})
    void anAsynchronousFailoverMayGiveUpWritesOfTheLeaderItDeposedWithinTheBound(String node, long offsetMillis,
            long lsn, Long bound, String why, String lost, String givenUp, boolean passed) {
        Ack missing = new Ack(1, "following", node, T0.plusMillis(offsetMillis), lsn);
        Checker.Verdict verdict = Checker.check(List.of(missing), Set.of(), ASYNC_TIMELINE, List.of(), List.of(),
                bound);
        assertThat(verdict.lost()).as(why).isEqualTo("-".equals(lost) ? List.of() : List.of(1L));
        if ("-".equals(givenUp)) {
            assertThat(verdict.asyncLoss()).as(why).isEmpty();
        } else {
            assertThat(verdict.asyncLoss()).as(why).hasSize(1);
            Checker.AsyncLoss loss = verdict.asyncLoss().get(0);
            String[] expected = givenUp.split("/", -1);
            assertThat(loss.writes()).as(why).isEqualTo(Integer.parseInt(expected[0]));
            assertThat(loss.bytes()).as(why).isEqualTo(expected[1].isEmpty() ? null : Long.valueOf(expected[1]));
            assertThat(loss.deposed()).as(why).isEqualTo(node);
        }
        assertThat(verdict.passed()).as(why).isEqualTo(passed);
    }

    @Test
    void theRpoIsCountedPerFailoverAndASplitBrainWriteStaysOne() {
        List<Ack> acks = List.of(new Ack(1, "following", "demo-1", T0.plusMillis(8_000), 9_000),
                new Ack(2, "stale", "demo-1", T0.plusMillis(9_900), 10_300),
                new Ack(3, "stale", "demo-1", T0.plusMillis(12_000), 10_400), // after demo-2's promotion
                new Ack(4, "following", "demo-2", T0.plusMillis(19_000), 20_900));
        Checker.Verdict verdict = Checker.check(acks, Set.of(1L), ASYNC_TIMELINE, List.of(), List.of(), 16_384L);
        assertThat(verdict.asyncLoss()).extracting(l -> l.failover().node(), Checker.AsyncLoss::writes,
                Checker.AsyncLoss::bytes).containsExactly(org.assertj.core.groups.Tuple.tuple("demo-2", 1, 300L),
                org.assertj.core.groups.Tuple.tuple("demo-1", 1, 900L));
        assertThat(verdict.splitBrain()).extracting(Ack::id).containsExactly(3L);
        assertThat(verdict.lost()).as("a split-brain write is no failover's RPO").containsExactly(3L);
        assertThat(verdict.passed()).isFalse();
    }

    @Test
    void switchPointsPairWithTheNewestPromotions() {
        List<Promotion> promoted = List.of(new Promotion(T0.plusSeconds(20), "demo-1"),
                new Promotion(T0.plusSeconds(10), "demo-2"));
        assertThat(ChaosCampaign.withSwitchPoints(promoted, List.of(5_000L, 10_000L, 20_000L)))
                .containsExactly(new Promotion(T0.plusSeconds(10), "demo-2", 10_000L),
                        new Promotion(T0.plusSeconds(20), "demo-1", 20_000L));
        assertThat(ChaosCampaign.withSwitchPoints(promoted, List.of(20_000L)))
                .as("fewer switch points than promotions: the older ones unknown")
                .containsExactly(new Promotion(T0.plusSeconds(10), "demo-2", null),
                        new Promotion(T0.plusSeconds(20), "demo-1", 20_000L));
    }

    private static Ack ack(long id, String node, long offsetMillis) {
        return new Ack(id, "following", node, T0.plusMillis(offsetMillis));
    }
}
