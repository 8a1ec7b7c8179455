package io.regent.engines.mariadb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GtidPositionTest {

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource(delimiter = '|', value = {
            "0-1-10       | 0-1-9        | true",
            "0-1-10       | 0-1-10       | true",
            "0-1-9        | 0-1-10       | false",
            "0-2-10       | 0-1-10       | true",   // same domain: the sequence orders, whoever wrote it
            "0-1-10       | ''           | true",   // every position contains the empty one
            "''           | 0-1-1        | false",
            "0-1-10,1-2-5 | 1-2-5        | true",
            "0-1-10,1-2-5 | 0-1-3,1-2-6  | false",  // behind in one domain is behind
            "0-1-10       | 0-1-3,1-2-1  | false",  // a domain it never saw
    })
    void containsIsPerDomainSequence(String position, String other, boolean contains) {
        assertThat(GtidPosition.parse(position).contains(GtidPosition.parse(other))).isEqualTo(contains);
    }

    @ParameterizedTest(name = "{0} in domain 0: {1}")
    @CsvSource(delimiter = '|', value = {"0-1-42 | 42", "1-3-7,0-2-5 | 5", "1-3-7 | 0", "'' | 0"})
    void sequenceOfTheDomain(String position, long sequence) {
        assertThat(GtidPosition.parse(position).sequence(0)).isEqualTo(sequence);
    }

    /** The cases measured in docs/research/mariadb-replication.md, section 6, and their edges. */
    @ParameterizedTest(name = "node {0}, leader {1}: errant [{2}]")
    @CsvSource(delimiter = '|', value = {
            "0-1-45          | 0-1-45,0-2-46       | ''",          // old leader after kill -9, caught up
            "0-1-45          | 0-1-44,0-2-45       | 0-1-45",      // its last write never reached the leader
            "0-1-45,0-2-49   | 0-1-45,0-2-48,0-3-49| 0-2-49",      // split brain: same sequence, other history
            "0-1-33,0-3-34   | 0-1-34              | 0-3-34",      // a write on a replica
            "0-1-45,1-1-7    | 0-1-45              | 1-1-7",       // a domain the leader never saw
            "0-1-45,1-1-7    | 0-1-50,1-1-9        | ''",
            "''              | 0-1-3               | ''",          // a node that never wrote anything
    })
    void errantTransactionsArePerDomainAndServer(String node, String leader, String errant) {
        assertThat(GtidPosition.errant(node, leader)).map(GtidPosition.Gtid::toString)
                .containsExactlyElementsOf(errant.isEmpty() ? java.util.List.of() : java.util.List.of(errant.split(",")));
    }

    /**
     * Against the leader's state as last seen: its newest stream per domain may have gone on since,
     * so only what no stream of the leader explains is errant.
     */
    @ParameterizedTest(name = "follower {0}, leader last seen {1}: errant [{2}]")
    @CsvSource(delimiter = '|', value = {
            "0-1-50          | 0-1-45              | ''",          // the leader wrote on after its last probe
            "0-1-45,0-2-60   | 0-1-45,0-2-55       | ''",          // the same after a failover: 2 writes now
            "0-1-46,0-2-60   | 0-1-45,0-2-55       | 0-1-46",      // the old leader's stream is closed
            "0-1-44,0-3-45   | 0-1-45              | 0-3-45",      // a write on the follower
            "0-1-45,1-3-2    | 0-1-45              | 1-3-2",       // in a domain the leader never had
            "0-1-45          | ''                  | 0-1-45",      // the leader was never seen with a state
    })
    void errantAgainstTheLeaderAsLastSeenSparesItsNewestStream(String follower, String leader, String errant) {
        assertThat(GtidPosition.errantAgainstLastSeen(follower, leader)).map(GtidPosition.Gtid::toString)
                .containsExactlyElementsOf(errant.isEmpty() ? java.util.List.of() : java.util.List.of(errant.split(",")));
    }

    @ParameterizedTest(name = "{0} and {1}: {2}")
    @CsvSource(delimiter = '|', value = {
            "0-2-60,0-1-45   | 0-2-58           | 0-1-45,0-2-60",  // highest per (domain, server), ordered
            "1-1-3           | 0-1-9            | 0-1-9,1-1-3",
            "''              | 0-1-9            | 0-1-9",
            "''              | ''               | ''",
    })
    void unionKeepsTheHighestSequencePerDomainAndServer(String one, String two, String union) {
        assertThat(GtidPosition.union(one, two)).isEqualTo(union);
    }

    @ParameterizedTest
    @CsvSource({"0-1", "a-b-c", "0-1-2-3"})
    void malformedPositionsAreRefusedWithTheText(String text) {
        assertThatThrownBy(() -> GtidPosition.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(text);
    }
}
