package io.regent.engines.mariadb;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A MariaDB GTID position such as {@code 0-1-42,1-3-7}: per replication domain, the last
 * transaction's server id and sequence number. Within a domain, sequence numbers grow
 * monotonically under {@code gtid_strict_mode}, so a domain's number orders positions the way an
 * LSN does (in transactions, not bytes).
 */
public record GtidPosition(Map<Long, Gtid> domains) {

    /** One domain's last transaction. */
    public record Gtid(long domain, long serverId, long sequence) {
    }

    public GtidPosition {
        domains = Map.copyOf(domains);
    }

    /** Parses {@code @@gtid_binlog_pos}, {@code @@gtid_slave_pos} or {@code Gtid_IO_Pos}; empty or null is no position. */
    public static GtidPosition parse(String text) {
        Map<Long, Gtid> domains = new LinkedHashMap<>();
        if (text != null && !text.isBlank()) {
            for (String part : text.split(",")) {
                String[] fields = part.strip().split("-");
                try {
                    if (fields.length != 3) {
                        throw new NumberFormatException(fields.length + " fields");
                    }
                    Gtid gtid = new Gtid(Long.parseLong(fields[0]), Long.parseLong(fields[1]),
                            Long.parseLong(fields[2]));
                    domains.put(gtid.domain(), gtid);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a GTID position: '" + text
                            + "' (want domain-server-sequence, comma-separated)", e);
                }
            }
        }
        return new GtidPosition(domains);
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
