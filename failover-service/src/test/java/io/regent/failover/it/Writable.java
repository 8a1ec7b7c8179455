package io.regent.failover.it;

import io.regent.testkit.Testkit;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Which nodes of a cluster take writes: a leader (not in recovery) whose sessions are not read-only by
 * default. A fenced node - read-only, and waiting for a synchronous standby that does not exist - does
 * not count. Killed or frozen servers take no writes and are not asked.
 */
final class Writable {

    private Writable() {
    }

    static TreeSet<String> now(PostgresCluster pg) {
        TreeSet<String> writable = new TreeSet<>();
        for (PostgresNode node : pg.nodes()) {
            if (!node.isRunning() || node.isFrozen()) {
                continue;
            }
            try {
                Object open = node.queryValue("SELECT NOT pg_is_in_recovery() "
                        + "AND current_setting('default_transaction_read_only') = 'off'");
                if (Boolean.TRUE.equals(open)) {
                    writable.add(node.name());
                }
            } catch (RuntimeException e) {
                // stopping or starting: takes no writes now
            }
        }
        return writable;
    }

    /** Samples every 100 ms for {@code duration}; every sample where more than one node took writes. */
    static List<String> splitBrainSamples(PostgresCluster pg, Duration duration) {
        List<String> twoOrMore = new ArrayList<>();
        long end = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < end) {
            TreeSet<String> writable = now(pg);
            if (writable.size() > 1) {
                twoOrMore.add(java.time.Instant.now() + " " + writable);
            }
            Testkit.sleep(100);
        }
        return twoOrMore;
    }
}
