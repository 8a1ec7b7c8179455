package io.regent.monitor.bench;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.quarkus.test.junit.QuarkusTest;
import io.regent.events.Engine;
import io.regent.events.NodeRole;
import io.regent.events.Replication;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.monitor.topology.WatchedNodes;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How many node probes per second one agent sustains at 1 Hz per node: 500, then 2,000 node
 * entries that point at the three real servers of the test cluster (one session each, as distinct
 * nodes would need). Each size first waits until the agent holds all its sessions (the cold start,
 * reported apart), then warms up and measures. Probes, latency percentiles, published and dropped
 * observations are the agent's own meters; CPU and heap are this JVM's (agent, Kafka client and
 * harness together), "machine" the whole machine's (servers and broker included).
 *
 * <pre>./mvnw -Pbench -pl monitor-service -am verify -DskipITs -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dtest=ProbeBenchmark -Dregent.testkit.pg.max-connections=2300 -Dsurefire.argLine="-Xmx512m -XX:+UseSerialGC" \
 *     "-D%test.regent.monitor.buffer.capacity=10000" [-Dbench.sizes=500,2000] [-Dbench.seconds=30]</pre>
 * (the test profile's buffer of 30 is for the outage test)
 */
@QuarkusTest
@Tag("benchmark")
class ProbeBenchmark {

    private static final Duration WARM_UP = Duration.ofSeconds(Integer.getInteger("bench.warmup-seconds", 10));
    private static final Duration CONNECT_LIMIT = Duration.ofSeconds(Integer.getInteger("bench.connect-seconds", 300));
    private static final Duration MEASURE = Duration.ofSeconds(Integer.getInteger("bench.seconds", 30));

    @Inject
    WatchedNodes watched;

    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "regent.monitor.agent-id")
    String agentId;

    @Inject
    MeterRegistry meters;

    @Test
    void probesPerSecondAtOneHertzPerNode() throws Exception {
        PostgresCluster cluster = io.regent.monitor.MonitoredClusterResource.cluster();
        List<String> rows = new ArrayList<>();
        List<String> json = new ArrayList<>();
        int[] sizes = java.util.Arrays.stream(System.getProperty("bench.sizes", "500,2000").split(","))
                .map(String::strip).mapToInt(Integer::parseInt).toArray();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int nodes : sizes) {
            // the sustained rate is the question: first every entry gets its session (on three servers
            // that is thousands of logins at once - the cold start, reported on its own), then warm-up
            List<java.sql.Connection> counters = new ArrayList<>();
            for (PostgresNode server : cluster.nodes()) {
                counters.add(server.connect()); // before the storm, reused: a login may take seconds in it
            }
            long registered = System.nanoTime();
            List<String> clusters = register(cluster, nodes);
            double connectedAfter;
            try {
                connectedAfter = awaitSessions(counters, nodes, registered);
            } finally {
                for (java.sql.Connection counter : counters) {
                    counter.close();
                }
            }
            Thread.sleep(WARM_UP.toMillis());
            Timer latency = meters.get("regent.probe.latency").timer();
            long probesBefore = latency.count();
            double errorsBefore = errors();
            double publishedBefore = counter("regent.observations.published");
            double droppedBefore = counter("regent.observations.dropped");
            long skippedBefore = (long) meters.get("regent.probe.skipped").gauge().value();
            long started = System.nanoTime();
            double maxCpu = 0;
            long maxHeap = 0;
            double cpuSum = 0;
            double machineSum = 0;
            int samples = 0;
            long end = started + MEASURE.toNanos();
            while (System.nanoTime() < end) {
                Thread.sleep(1_000);
                double cpu = os.getProcessCpuLoad() * os.getAvailableProcessors();
                cpuSum += cpu;
                machineSum += os.getCpuLoad() * os.getAvailableProcessors(); // servers, broker and agent together
                samples++;
                maxCpu = Math.max(maxCpu, cpu);
                maxHeap = Math.max(maxHeap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            // the agent's own meters: every probe it ran in the window and its latency percentiles
            // (over the last ~30 s), what it handed to Kafka and what it had to drop
            HistogramSnapshot snapshot = latency.takeSnapshot();
            double probesPerSecond = (latency.count() - probesBefore) / seconds;
            double errorsPerSecond = (errors() - errorsBefore) / seconds;
            double publishedPerSecond = (counter("regent.observations.published") - publishedBefore) / seconds;
            double dropped = counter("regent.observations.dropped") - droppedBefore;
            long skipped = (long) meters.get("regent.probe.skipped").gauge().value() - skippedBefore;
            clusters.forEach(watched::remove);
            Thread.sleep(3_000);
            rows.add(String.format(Locale.ROOT, "%6d %12.1f %10.0f %9.0f %8.1f %8.0f %8.1f %8.1f %8.1f %8.2f %8.2f %8.2f %8d %8d",
                    nodes, connectedAfter, probesPerSecond, publishedPerSecond, errorsPerSecond, dropped, ms(snapshot, 0.5),
                    ms(snapshot, 0.95), ms(snapshot, 0.99), cpuSum / Math.max(1, samples), maxCpu,
                    machineSum / Math.max(1, samples), maxHeap / (1024 * 1024), skipped));
            json.add(String.format(Locale.ROOT, "{\"nodes\":%d,\"connectedAfterSeconds\":%.1f,\"probesPerSecond\":%.0f,\"publishedPerSecond\":%.0f,"
                    + "\"errorsPerSecond\":%.1f,\"dropped\":%.0f,\"p50Ms\":%.1f,\"p95Ms\":%.1f,\"p99Ms\":%.1f,"
                    + "\"cpuCoresAvg\":%.2f,\"cpuCoresMax\":%.2f,\"machineCoresAvg\":%.2f,\"heapMaxMb\":%d,\"skipped\":%d}", nodes,
                    connectedAfter, probesPerSecond, publishedPerSecond, errorsPerSecond, dropped, ms(snapshot, 0.5),
                    ms(snapshot, 0.95), ms(snapshot, 0.99), cpuSum / Math.max(1, samples), maxCpu,
                    machineSum / Math.max(1, samples), maxHeap / (1024 * 1024), skipped));
        }
        System.out.println();
        System.out.println("Probe benchmark: 1 Hz per node, " + MEASURE.toSeconds() + " s per size, heap limit "
                + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MB");
        System.out.println(" nodes  connected s   probes/s published errors/s  dropped   p50 ms   p95 ms   p99 ms"
                + "  cpu avg  cpu max  machine  heap MB  skipped");
        rows.forEach(System.out::println);
        System.out.println("[" + String.join(",", json) + "]");
    }

    /**
     * Seconds from registering until the agent holds a session per entry on the servers (counted
     * in {@code pg_stat_activity} by its application name, over {@code counters}, one per server),
     * or NaN when that did not happen in time.
     */
    private double awaitSessions(List<java.sql.Connection> counters, int nodes, long registered) throws Exception {
        long giveUp = registered + CONNECT_LIMIT.toNanos();
        while (System.nanoTime() < giveUp) {
            long sessions = 0;
            for (java.sql.Connection counter : counters) {
                try (var statement = counter.prepareStatement(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
                    statement.setString(1, "regent-agent-" + agentId);
                    try (var rs = statement.executeQuery()) {
                        rs.next();
                        sessions += rs.getLong(1);
                    }
                }
            }
            if (sessions >= nodes) {
                return (System.nanoTime() - registered) / 1e9;
            }
            Thread.sleep(500);
        }
        return Double.NaN;
    }

    private double errors() {
        return meters.find("regent.probe.errors").counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private double counter(String name) {
        return meters.find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static double ms(HistogramSnapshot snapshot, double percentile) {
        for (ValueAtPercentile value : snapshot.percentileValues()) {
            if (value.percentile() == percentile) {
                return value.value(TimeUnit.MILLISECONDS);
            }
        }
        return Double.NaN;
    }

    /** Registers {@code nodes} entries in clusters of 100, spread over the cluster's servers. */
    private List<String> register(PostgresCluster cluster, int nodes) {
        List<PostgresNode> servers = cluster.nodes();
        List<String> ids = new ArrayList<>();
        for (int c = 0; c * 100 < nodes; c++) {
            String id = "bench-" + nodes + "-" + c;
            List<TopologyNode> entries = new ArrayList<>();
            for (int i = 0; i < 100 && c * 100 + i < nodes; i++) {
                PostgresNode server = servers.get(i % servers.size());
                entries.add(new TopologyNode("n" + i, server.host(), server.port(), "z", server == servers.get(0)
                        ? NodeRole.LEADER : NodeRole.FOLLOWER, 100, null, List.of()));
            }
            watched.apply(new TopologyChanged(id, 0, Engine.POSTGRESQL, null, entries, Replication.ASYNC, false,
                    Instant.now(), "benchmark", null));
            ids.add(id);
        }
        return ids;
    }
}
