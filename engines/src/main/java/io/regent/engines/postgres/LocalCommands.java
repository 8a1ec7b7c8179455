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

    /** Runs a PostgreSQL tool as the data directory's owner; its output is the error message when it fails. */
    static String run(LocalNode node, List<String> command, Map<String, String> environment, Duration timeout,
            String what) {
        List<String> full = new ArrayList<>();
        if (node.osUser().isPresent() && "root".equals(System.getProperty("user.name"))) {
            String user = node.osUser().get();
            full.addAll(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--"));
        }
        full.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true)
                .directory(node.dataDirectory().getParent().toFile());
        builder.environment().putAll(environment);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes(); // ends when the tool exits
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new EngineActionException(what + " did not finish within " + timeout.toSeconds() + " s");
            }
            String output = new String(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new EngineActionException(what + " failed (exit " + process.exitValue() + "): "
                        + output.lines().skip(Math.max(0, output.lines().count() - 8)).collect(Collectors.joining(" | ")));
            }
            return output;
        } catch (IOException e) {
            throw new EngineActionException(what + " could not run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineActionException(what + " interrupted", e);
        }
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
