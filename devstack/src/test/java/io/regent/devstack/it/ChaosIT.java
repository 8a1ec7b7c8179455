package io.regent.devstack.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.regent.devstack.demo.DemoLayout;
import io.regent.devstack.demo.Preflight;
import io.regent.testkit.ProcessTable;
import io.regent.testkit.Testkit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The short fault campaign, as CI runs it: {@code ./regent chaos --faults 5 --seed 775} - a frozen leader that
 * wakes up as a zombie, the leader's machine (its server and node agent in a network namespace) cut off from
 * the network until another node is promoted and then healed, a registry replica killed and restarted,
 * Regent's role refused by the leader for 15 s, and the owning failover-service paused (SIGSTOP) in the middle
 * of a failover and woken after the other instance finished it, in that order - against a synchronous
 * three-node cluster with two checking writers, two failover-service instances and two registry replicas
 * behind HAProxy. The build fails if any acknowledged write is lost, any write was taken by a node that was
 * not the leader, a fault that calls for no failover caused one, or a failover left an incomplete record.
 */
class ChaosIT {

    private static final Path REPOSITORY = Path.of(System.getProperty("regent.it.repository", "..")).toAbsolutePath()
            .normalize();
    private static final Path HOME = REPOSITORY.resolve("devstack/target/chaos-it");

    @AfterEach
    void nothingLeft() {
        Testkit.killEverythingUnder(HOME);
    }

    @Test
    void noAcknowledgedWriteIsLostAndNoNodeButTheLeaderTakesWrites() throws Exception {
        Process process = new ProcessBuilder(REPOSITORY.resolve("regent").toString(), "chaos", "--faults", "5",
                "--seed", "775", "--home", HOME.toString()).directory(REPOSITORY.toFile()).redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(20, TimeUnit.MINUTES)).isTrue();
        System.out.println(output);
        assertThat(process.exitValue()).as(output).isZero();

        List<String> lines = output.strip().lines().toList();
        JsonNode verdict = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertThat(verdict.path("faults_injected").asInt()).isEqualTo(5);
        assertThat(verdict.path("lost_writes").asInt()).isZero();
        assertThat(verdict.path("split_brain_writes").asInt()).isZero();
        assertThat(verdict.path("false_failovers").asInt()).isZero();
        assertThat(verdict.path("incomplete_operations").asInt()).isZero();
        // the campaign did what it says: writes were acknowledged throughout, and three faults failed over
        assertThat(verdict.path("acknowledged_by_following_client").asInt()).isGreaterThan(100);
        assertThat(verdict.path("acknowledged_by_stale_client").asInt()).isGreaterThan(100);
        assertThat(verdict.path("failovers").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(verdict.path("failover_services").asInt()).isEqualTo(2);
        assertThat(verdict.path("registry_replicas").asInt()).isEqualTo(2);
        assertThat(verdict.path("missed_failovers").asInt()).isZero();
        assertThat(verdict.path("faults_by_kind").path("partition_leader").asInt()).as("a partition was in the draw")
                .isEqualTo(1);
        assertThat(verdict.path("passed").asBoolean()).isTrue();

        assertThat(ProcessTable.liveUnder(HOME)).as("processes of the campaign still running").isEmpty();
        assertThat(Preflight.busyPorts(DemoLayout.CAMPAIGN_PORTS)).as("ports of the campaign still in use").isEmpty();
        Process namespaces = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        assertThat(new String(namespaces.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .as("network namespaces of the campaign still there").doesNotContain("-demo-");
    }
}
