package io.regent.engines.mariadb;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A MariaDB GTID position such as {@code 0-1-42,1-3-7}: per replication domain, the last
 * transaction's server id and sequence number. Within a domain, sequence numbers grow
 * monotonically under {@code gtid_strict_mode}, so a domain's number orders positions the way an
 * LSN does (in transactions, not bytes).
 */
public record GtidPosition(Map<Long, Gtid> domains) {

    /** One domain's last transaction. */
    public record Gtid(long domain, long serverId, long sequence) {

        @Override
        public String toString() {
            return domain + "-" + serverId + "-" + sequence;
        }
    }

    public GtidPosition {
        domains = Map.copyOf(domains);
    }

    /** Parses {@code @@gtid_binlog_pos}, {@code @@gtid_slave_pos} or {@code Gtid_IO_Pos}; empty or null is no position. */
    public static GtidPosition parse(String text) {
        Map<Long, Gtid> domains = new LinkedHashMap<>();
        gtids(text).forEach(gtid -> domains.put(gtid.domain(), gtid));
        return new GtidPosition(domains);
    }

    /**
     * The transactions of {@code nodeState} that {@code leaderState} lacks - both are
     * {@code @@gtid_binlog_state}, the last GTID per (domain, originating server). A node whose
     * (domain, server) pair is missing on the leader or ahead of it wrote or kept transactions the
     * leader never had (errant): following the leader would diverge silently. Comparing
     * {@code gtid_binlog_pos} instead would miss it - two diverged nodes can sit at the same
     * sequence number (docs/research/mariadb-replication.md, section 6).
     */
    public static List<Gtid> errant(String nodeState, String leaderState) {
        Map<List<Long>, Long> leader = new LinkedHashMap<>();
        gtids(leaderState).forEach(g -> leader.merge(List.of(g.domain(), g.serverId()), g.sequence(), Math::max));
        return gtids(nodeState).stream()
                .filter(g -> leader.getOrDefault(List.of(g.domain(), g.serverId()), -1L) < g.sequence()).toList();
    }

    /**
     * The transactions of {@code nodeState} that {@code leaderState} - the leader's state as last seen -
     * cannot explain: {@link #errant} except in each domain's newest stream of the leader (its own
     * writes, which may have gone on after it was seen). A follower holding any was written to
     * directly, or kept transactions of a server the leader never replicated.
     */
    public static List<Gtid> errantAgainstLastSeen(String nodeState, String leaderState) {
        Map<Long, Gtid> newest = new LinkedHashMap<>();
        gtids(leaderState).forEach(g -> newest.merge(g.domain(), g, (a, b) -> a.sequence() >= b.sequence() ? a : b));
        return errant(nodeState, leaderState).stream()
                .filter(g -> !(newest.containsKey(g.domain()) && newest.get(g.domain()).serverId() == g.serverId()))
                .toList();
    }

    /**
     * GTID sets merged into {@code @@gtid_binlog_state} form: per (domain, originating server) the
     * highest sequence number, ordered by domain then server; empty when there is none.
     */
    public static String union(String... sets) {
        Map<List<Long>, Long> merged = new TreeMap<>(
                Comparator.<List<Long>, Long>comparing(k -> k.get(0)).thenComparing(k -> k.get(1)));
        for (String set : sets) {
            gtids(set).forEach(g -> merged.merge(List.of(g.domain(), g.serverId()), g.sequence(), Math::max));
        }
        List<String> parts = new ArrayList<>();
        merged.forEach((key, sequence) -> parts.add(key.get(0) + "-" + key.get(1) + "-" + sequence));
        return String.join(",", parts);
    }

    private static List<Gtid> gtids(String text) {
        List<Gtid> gtids = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return gtids;
        }
        for (String part : text.split(",")) {
            String[] fields = part.strip().split("-");
            try {
                if (fields.length != 3) {
                    throw new NumberFormatException(fields.length + " fields");
                }
                gtids.add(new Gtid(Long.parseLong(fields[0]), Long.parseLong(fields[1]), Long.parseLong(fields[2])));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a GTID position: '" + text
                        + "' (want domain-server-sequence, comma-separated)", e);
            }
        }
        return gtids;
    }

    /** The sequence number in {@code domain}, 0 when the domain has none yet. */
    public long sequence(long domain) {
        Gtid gtid = domains.get(domain);
        return gtid == null ? 0 : gtid.sequence();
    }

    /** Whether this position is at or past {@code other} in every domain {@code other} has. */
    public boolean contains(GtidPosition other) {
        return other.domains.values().stream().allMatch(g -> sequence(g.domain()) >= g.sequence());
    }
}
