package io.regent.engines.postgres;

import io.regent.engines.EngineActionException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** Runs PostgreSQL's tools and writes files as the data directory's owner (the agent may run as root). */
final class LocalCommands {

    private LocalCommands() {
    }

    /**
     * Runs a PostgreSQL tool as the data directory's owner; its output is the error message when it fails. The
     * timeout counts from the start: a tool still running then (a pg_rewind or pg_basebackup hung on a source that
     * stopped answering) is killed with the processes it started, and the error shows its last output. The output
     * goes to a temporary file, not a pipe, so a tool can never block on a full pipe nor hold the wait on reading.
     */
    static String run(LocalNode node, List<String> command, Map<String, String> environment, Duration timeout,
            String what) {
        List<String> full = new ArrayList<>();
        if (node.osUser().isPresent() && "root".equals(System.getProperty("user.name"))) {
            String user = node.osUser().get();
            full.addAll(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--"));
        }
        full.addAll(command);
        Path output = null;
        Process process = null;
        try {
            output = Files.createTempFile("regent-tool-", ".out");
            ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).directory(node.dataDirectory().getParent().toFile());
            builder.environment().putAll(environment);
            process = builder.start();
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process);
                throw new EngineActionException(what + " did not finish within " + timeout.toSeconds()
                        + " s and was stopped; its last output: " + lastLines(Files.readString(output)));
            }
            String text = Files.readString(output);
            if (process.exitValue() != 0) {
                throw new EngineActionException(what + " failed (exit " + process.exitValue() + "): " + lastLines(text));
            }
            return text;
        } catch (IOException e) {
            throw new EngineActionException(what + " could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            kill(process); // nobody waits for it any more
            Thread.currentThread().interrupt();
            throw new EngineActionException(what + " interrupted", e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException e) {
                    // a leftover temporary file: nothing to act on
                }
            }
        }
    }

    /** The tool and every process it started (pg_basebackup's WAL streamer). */
    private static void kill(Process process) {
        if (process == null) {
            return;
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.onExit().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // still exiting: the kill signal is sent, the caller's error stands
        }
    }

    private static String lastLines(String output) {
        return output.lines().skip(Math.max(0, output.lines().count() - 8)).collect(Collectors.joining(" | "));
    }

    static void write(LocalNode node, Path file, String content) throws IOException {
        Files.writeString(file, content);
        chown(node, file);
    }

    static void chown(LocalNode node, Path path) throws IOException {
        if (node.osUser().isPresent() && "root".equals(System.getProperty("user.name"))) {
            UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
            PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
            view.setOwner(lookup.lookupPrincipalByName(node.osUser().get()));
            GroupPrincipal group = lookup.lookupPrincipalByGroupName(node.osUser().get());
            view.setGroup(group);
        }
    }

}
