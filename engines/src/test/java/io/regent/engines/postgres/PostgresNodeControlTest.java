package io.regent.engines.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.regent.engines.EngineActionException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A postmaster killed where nothing reaps orphans (a container whose PID 1 is not an init) stays a zombie, and
 * PostgreSQL refuses to start while the PID in its lock file exists - every rejoin would fail with only "could not
 * start server". The agent says why instead, and does not take the zombie for a running server.
 */
class PostgresNodeControlTest {

    private final PostgresNodeControl control = new PostgresNodeControl();
    private Process parent;
    private long zombie;

    @TempDir
    Path dir;

    @BeforeEach
    void aZombie() throws Exception {
        // the shell starts a child, then becomes `sleep`, which never waits for it; the child exits only once
        // its parent is `sleep` - had it exited first, the shell could have reaped it before the exec (CI saw that)
        parent = new ProcessBuilder("sh", "-c",
                "(while [ \"$(cat /proc/$$/comm)\" != sleep ]; do sleep 0.01; done) & echo $!; exec sleep 60")
                .start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(),
                StandardCharsets.UTF_8))) {
            zombie = Long.parseLong(out.readLine().strip());
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!PostgresNodeControl.isZombie(zombie) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(PostgresNodeControl.isZombie(zombie)).as("PID %d exited and is not reaped", zombie).isTrue();
    }

    @AfterEach
    void reap() throws Exception {
        parent.destroyForcibly().waitFor(); // its orphaned zombie goes to PID 1, which reaps it
    }

    @Test
    void aPostmasterPidNamingAZombieIsNotARunningServerAndTheStartSaysWhy() throws Exception {
        LocalNode node = nodeWithLockFile(zombie);

        assertThat(control.isRunning(node)).isFalse();
        assertThatThrownBy(() -> control.start(node, dir.resolve("pg_ctl.log"), Duration.ofSeconds(5)))
                .isInstanceOf(EngineActionException.class)
                .hasMessageContaining("postmaster.pid names PID " + zombie)
                .hasMessageContaining("never reaped (a zombie)")
                .hasMessageContaining("docker run --init");
    }

    @Test
    void aPostmasterPidNamingALiveProcessIsARunningServer() throws Exception {
        LocalNode node = nodeWithLockFile(parent.pid());

        assertThat(PostgresNodeControl.isZombie(parent.pid())).isFalse();
        assertThat(control.isRunning(node)).isTrue();
        control.start(node, dir.resolve("pg_ctl.log"), Duration.ofSeconds(5)); // already running: nothing to do
        assertThat(dir.resolve("pg_ctl.log")).doesNotExist();
    }

    private LocalNode nodeWithLockFile(long pid) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("PG_VERSION"), "15\n");
        Files.writeString(data.resolve("postmaster.pid"), pid + "\n" + data + "\n");
        // no pg_ctl in bin/: neither test may get as far as running it
        return new LocalNode("zombie-1", data, dir.resolve("bin"), Optional.empty(), Map.of(), "replicator", "unused");
    }
}
