package io.regent.monitor.bench;

import io.quarkus.test.junit.QuarkusTest;
import io.regent.events.Engine;
import io.regent.events.NodeObserved;
import io.regent.events.NodeRole;
import io.regent.events.Replication;
import io.regent.events.Topics;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import io.regent.monitor.topology.WatchedNodes;
import io.regent.testkit.kafka.TopicReader;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import io.regent.testkit.quarkus.KafkaTestResource;
import jakarta.inject.Inject;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * How many node probes per second one agent sustains at 1 Hz per node: 500, then 2,000 node
 * entries that point at the three real servers of the test cluster (one connection each, as
 * distinct nodes would need). Latency is the probes' own {@code probeMillis}, read back from the
 * node-health topic; CPU and heap are this JVM's (agent, Kafka client and harness together).
 *
 * <pre>./mvnw -Pbench -pl monitor-service -am verify -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dregent.testkit.pg.max-connections=2300 -Dsurefire.argLine="-Xmx512m -XX:+UseSerialGC" [-Dbench.sizes=500,2000]
 *     "-D%test.regent.monitor.buffer.capacity=10000"   (the test profile's buffer of 20 is for the outage test)</pre>
 */
@QuarkusTest
@Tag("benchmark")
class ProbeBenchmark {

    private static final Duration WARM_UP = Duration.ofSeconds(Integer.getInteger("bench.warmup-seconds", 10));
    private static final Duration MEASURE = Duration.ofSeconds(Integer.getInteger("bench.seconds", 30));

    @Inject
    WatchedNodes watched;

    @Test
    void probesPerSecondAtOneHertzPerNode() throws Exception {
        PostgresCluster cluster = io.regent.monitor.MonitoredClusterResource.cluster();
        List<String> rows = new ArrayList<>();
        List<String> json = new ArrayList<>();
        int[] sizes = java.util.Arrays.stream(System.getProperty("bench.sizes", "500,2000").split(","))
                .map(String::strip).mapToInt(Integer::parseInt).toArray();
        for (int nodes : sizes) {
            List<String> clusters = register(cluster, nodes);
            Thread.sleep(WARM_UP.toMillis());
            Instant from = Instant.now();
            double maxCpu = 0;
            long maxHeap = 0;
            double cpuSum = 0;
            int samples = 0;
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long end = System.nanoTime() + MEASURE.toNanos();
            while (System.nanoTime() < end) {
                Thread.sleep(1_000);
                double cpu = os.getProcessCpuLoad() * os.getAvailableProcessors();
                cpuSum += cpu;
                samples++;
                maxCpu = Math.max(maxCpu, cpu);
                maxHeap = Math.max(maxHeap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            }
            Instant to = Instant.now();
            // stop probing these entries and let the publisher drain before reading, once, what arrived
            clusters.forEach(watched::remove);
            Thread.sleep(3_000);
            long count = 0;
            long unreachable = 0;
            List<Long> latencies = new ArrayList<>();
            java.util.Set<String> keys = new java.util.HashSet<>(clusters);
            for (var record : TopicReader.readAll(KafkaTestResource.broker().bootstrapServers(),
                    Topics.NODE_HEALTH.name())) {
                if (record.value() == null || !keys.contains(record.key())) {
                    continue;
                }
                NodeObserved o = record.value().data(NodeObserved.class);
                if (o.observedAt().isAfter(from) && o.observedAt().isBefore(to)) {
                    count++;
                    latencies.add(o.probeMillis());
                    if (!o.reachable()) {
                        unreachable++;
                    }
                }
            }
            long[] millis = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            double seconds = Duration.between(from, to).toMillis() / 1000.0;
            rows.add(String.format(Locale.ROOT, "%6d %10.0f %8d %8d %8d %8d %8d %8.2f %8.2f %8d", nodes,
                    count / seconds, unreachable, pct(millis, 50), pct(millis, 95), pct(millis, 99), pct(millis, 100),
                    cpuSum / Math.max(1, samples), maxCpu, maxHeap / (1024 * 1024)));
            json.add(String.format(Locale.ROOT, "{\"nodes\":%d,\"probesPerSecond\":%.0f,\"unreachable\":%d,"
                    + "\"p50Ms\":%d,\"p95Ms\":%d,\"p99Ms\":%d,\"maxMs\":%d,\"cpuCoresAvg\":%.2f,\"cpuCoresMax\":%.2f,"
                    + "\"heapMaxMb\":%d}", nodes, count / seconds, unreachable, pct(millis, 50), pct(millis, 95),
                    pct(millis, 99), pct(millis, 100), cpuSum / Math.max(1, samples), maxCpu,
                    maxHeap / (1024 * 1024)));
        }
        System.out.println();
        System.out.println("Probe benchmark: 1 Hz per node, " + MEASURE.toSeconds() + " s per size, heap limit "
                + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MB");
        System.out.println(" nodes  probes/s unreach   p50 ms   p95 ms   p99 ms   max ms  cpu avg  cpu max  heap MB");
        rows.forEach(System.out::println);
        System.out.println("[" + String.join(",", json) + "]");
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

    private static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int index = (int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1);
        return sorted[Math.max(0, index)];
    }
}
