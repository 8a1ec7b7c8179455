package io.regent.engines.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.regent.engines.EngineActionException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's tool runner: a tool that hangs (a pg_rewind or pg_basebackup whose source stopped answering) is cut
 * off at the timeout with what it started, and says so with its last output; a tool that fails says why.
 */
class LocalCommandsTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(120) // the runner before this test read the output to its end first: 600 s here
    void aHungToolIsStoppedAtTheTimeoutWithItsChildrenAndTheErrorShowsItsLastOutput() throws Exception {
        // writes a line, starts a child that outlives it, then hangs without closing its output - as a tool whose
        // server stopped answering mid-transfer: the old runner read its output to the end first and never returned
        String script = "sleep 600 & echo \"child $!\"; echo 'receiving files'; exec sleep 600";
        long started = System.nanoTime();
        assertThatThrownBy(() -> LocalCommands.run(node(), List.of("sh", "-c", script), Map.of(), Duration.ofSeconds(1),
                "pg_basebackup of n1"))
                .isInstanceOf(EngineActionException.class)
                .hasMessageStartingWith("pg_basebackup of n1 did not finish within 1 s and was stopped; its last output: ")
                .hasMessageContaining("receiving files")
                .satisfies(e -> {
                    Matcher child = Pattern.compile("child (\\d+)").matcher(e.getMessage());
                    assertThat(child.find()).as(e.getMessage()).isTrue();
                    Optional<ProcessHandle> handle = ProcessHandle.of(Long.parseLong(child.group(1)));
                    // killed and reaped by now, or a zombie of the killed shell about to be: not running
                    assertThat(handle.map(h -> h.isAlive() && !zombie(h.pid())).orElse(false))
                            .as("the tool's child is stopped too").isFalse();
                });
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("cut off at the timeout, not at the end")
                .isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void aFailingToolSaysHowItEnded() throws Exception {
        assertThatThrownBy(() -> LocalCommands.run(node(), List.of("sh", "-c", "echo 'could not connect'; exit 3"),
                Map.of(), Duration.ofSeconds(30), "pg_rewind of n1"))
                .isInstanceOf(EngineActionException.class)
                .hasMessage("pg_rewind of n1 failed (exit 3): could not connect");
    }

    @Test
    void aToolThatEndsInTimeReturnsItsWholeOutput() throws Exception {
        String output = LocalCommands.run(node(), List.of("sh", "-c", "seq 1 20000; echo done >&2"), Map.of(),
                Duration.ofSeconds(30), "a tool");
        assertThat(output.lines()).hasSize(20001).startsWith("1").endsWith("done");
    }

    private LocalNode node() throws java.io.IOException {
        Path data = Files.createDirectories(dir.resolve("data"));
        return new LocalNode("n1", data, dir, Optional.empty(), Map.of(), "replicator", "secret");
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (Exception e) {
            return false; // gone
        }
    }
}
