package io.regent.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.testkit.kafka.KafkaBroker;
import io.regent.testkit.postgres.PostgresCluster;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No PostgreSQL or Kafka process outlives its owner, whether it is closed or its JVM is killed - nor
 * the shared memory a killed PostgreSQL leaves behind (leaked segments pile up until no server starts).
 */
class NoOrphanProcessesTest {

    @Test
    void closingABrokerAndAClusterLeavesNoProcessNoFileAndNoSharedMemory() throws Exception {
        Path runDirectory = Testkit.get().runDirectory();
        List<ProcessTable.Entry> before = ProcessTable.liveUnder(runDirectory);
        Set<Path> postgresSegmentsBefore = postgresSegmentsInDevShm();
        Set<String> systemVBefore = systemVSegmentIds();

        KafkaBroker broker = KafkaBroker.start();
        PostgresCluster cluster = PostgresCluster.builder().name("closing").nodes(2).start();
        List<ProcessTable.Entry> servers = new ArrayList<>(ProcessTable.liveUnder(runDirectory));
        servers.removeAll(before);
        assertThat(servers).as("the broker and both PostgreSQL servers with their children")
                .anyMatch(p -> p.commandLine().contains("kafka.Kafka"))
                .anyMatch(p -> p.commandLine().contains("postgres -D"))
                .hasSizeGreaterThan(2 * 5); // a PostgreSQL server runs several auxiliary processes
        Path clusterDirectory = cluster.initialLeader().dataDirectory().getParent().getParent();
        Set<String> created = systemVSegmentIdsCreatedBy(servers);
        created.removeAll(systemVBefore); // a segment of a long-gone server whose PID the system reused is not ours
        assertThat(created).as("each server's interlock segment").hasSize(2);

        broker.close();
        cluster.initialLeader().kill(); // a crash, as tests do: nothing of the server cleans up after it
        cluster.close();

        assertThat(servers).allSatisfy(p -> assertThat(stillLive(p.pid())).as("%s", p).isFalse());
        assertThat(ProcessTable.liveUnder(runDirectory)).isEqualTo(before);
        assertThat(clusterDirectory).doesNotExist();
        assertThat(systemVSegmentIds()).doesNotContainAnyElementsOf(created);
        assertThat(postgresSegmentsInDevShm()).isEqualTo(postgresSegmentsBefore);
    }

    @Test
    void serversOfAJvmKilledWithSigkillAreReaped() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Set<String> systemVBefore = systemVSegmentIds();
        Process child = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                ServersInChildJvm.class.getName())
                .redirectErrorStream(true)
                .start();
        Path runDirectory = null;
        long reaperPid = -1;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            String line;
            while ((line = out.readLine()) != null && System.nanoTime() < deadline) {
                if (line.startsWith("RUN_DIR=")) {
                    runDirectory = Path.of(line.substring("RUN_DIR=".length()));
                } else if (line.startsWith("REAPER_PID=")) {
                    reaperPid = Long.parseLong(line.substring("REAPER_PID=".length()));
                } else if (line.equals("READY")) {
                    break;
                }
            }
            assertThat(runDirectory).as("the child JVM started its servers").isNotNull();
            List<ProcessTable.Entry> servers = ProcessTable.liveUnder(runDirectory);
            assertThat(servers).anyMatch(p -> p.commandLine().contains("kafka.Kafka"))
                    .anyMatch(p -> p.commandLine().contains("postgres -D"));
            Set<String> created = systemVSegmentIdsCreatedBy(servers);
            created.removeAll(systemVBefore);

            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

            Path reaped = runDirectory;
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(ProcessTable.liveUnder(reaped)).isEmpty();
                assertThat(reaped).doesNotExist();
            });
            assertThat(servers).allSatisfy(p -> assertThat(stillLive(p.pid())).as("%s", p).isFalse());
            assertThat(created).as("the servers' interlock segments").isNotEmpty();
            assertThat(systemVSegmentIds()).as("the reaper removed the killed servers' segments")
                    .doesNotContainAnyElementsOf(created);
            long reaper = reaperPid;
            await().atMost(Duration.ofSeconds(10)).until(() -> !stillLive(reaper));
        } finally {
            child.destroyForcibly();
            if (runDirectory != null) {
                Testkit.killEverythingUnder(runDirectory);
                Testkit.deleteRecursively(runDirectory);
            }
        }
    }

    /** Ids of the System V segments whose creator is one of {@code servers}. */
    private static Set<String> systemVSegmentIdsCreatedBy(List<ProcessTable.Entry> servers) throws IOException {
        Set<String> pids = servers.stream().map(p -> Long.toString(p.pid())).collect(Collectors.toSet());
        return systemVSegments().filter(row -> pids.contains(row[4])).map(row -> row[1])
                .collect(Collectors.toCollection(HashSet::new));
    }

    private static Set<String> systemVSegmentIds() throws IOException {
        return systemVSegments().map(row -> row[1]).collect(Collectors.toSet());
    }

    /** The rows of {@code /proc/sysvipc/shm}: key shmid perms size cpid lpid nattch ... */
    private static Stream<String[]> systemVSegments() throws IOException {
        return Files.readAllLines(Path.of("/proc/sysvipc/shm")).stream().skip(1).map(row -> row.strip().split("\\s+"));
    }

    private static Set<Path> postgresSegmentsInDevShm() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("/dev/shm"))) {
            return files.filter(f -> f.getFileName().toString().startsWith("PostgreSQL.")).collect(Collectors.toSet());
        }
    }

    private static boolean stillLive(long pid) {
        return ProcessTable.get(pid).map(ProcessTable.Entry::live).orElse(false);
    }

}
