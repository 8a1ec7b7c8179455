package io.regent.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.regent.testkit.kafka.KafkaBroker;
import io.regent.testkit.postgres.PostgresCluster;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** No PostgreSQL or Kafka process outlives its owner, whether it is closed or its JVM is killed. */
class NoOrphanProcessesTest {

    @Test
    void closingABrokerAndAClusterLeavesNoProcessAndNoFile() {
        Path runDirectory = Testkit.get().runDirectory();
        List<ProcessTable.Entry> before = ProcessTable.liveUnder(runDirectory);

        KafkaBroker broker = KafkaBroker.start();
        PostgresCluster cluster = PostgresCluster.builder().name("closing").nodes(2).start();
        List<ProcessTable.Entry> servers = new ArrayList<>(ProcessTable.liveUnder(runDirectory));
        servers.removeAll(before);
        assertThat(servers).as("the broker and both PostgreSQL servers with their children")
                .anyMatch(p -> p.commandLine().contains("kafka.Kafka"))
                .anyMatch(p -> p.commandLine().contains("postgres -D"))
                .hasSizeGreaterThan(2 * 5); // a PostgreSQL server runs several auxiliary processes
        Path clusterDirectory = cluster.initialLeader().dataDirectory().getParent().getParent();

        broker.close();
        cluster.close();

        assertThat(servers).allSatisfy(p -> assertThat(stillLive(p.pid())).as("%s", p).isFalse());
        assertThat(ProcessTable.liveUnder(runDirectory)).isEqualTo(before);
        assertThat(clusterDirectory).doesNotExist();
    }

    @Test
    void serversOfAJvmKilledWithSigkillAreReaped() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
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

            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

            Path reaped = runDirectory;
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(ProcessTable.liveUnder(reaped)).isEmpty();
                assertThat(reaped).doesNotExist();
            });
            assertThat(servers).allSatisfy(p -> assertThat(stillLive(p.pid())).as("%s", p).isFalse());
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

    private static boolean stillLive(long pid) {
        return ProcessTable.get(pid).map(ProcessTable.Entry::live).orElse(false);
    }

}
