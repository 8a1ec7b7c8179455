package io.regent.testkit.postgres;

import io.regent.testkit.TestkitException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Finds PostgreSQL server binaries: {@code PG_BIN} (env or {@code -Dregent.testkit.pg-bin}), else
 * {@code pg_config --bindir}, else the newest {@code /usr/lib/postgresql/<version>/bin}.
 */
public record PostgresBinaries(Path binDirectory) {

    public static PostgresBinaries locate() {
        List<String> tried = new ArrayList<>();
        String configured = System.getProperty("regent.testkit.pg-bin", System.getenv("PG_BIN"));
        if (configured != null && !configured.isBlank()) {
            Path dir = Path.of(configured);
            if (hasServer(dir)) {
                return new PostgresBinaries(dir);
            }
            throw new TestkitException("PG_BIN=" + configured + " has no postgres, initdb and pg_basebackup");
        }
        Optional<Path> fromPgConfig = pgConfigBindir();
        if (fromPgConfig.isPresent()) {
            if (hasServer(fromPgConfig.get())) {
                return new PostgresBinaries(fromPgConfig.get());
            }
            tried.add("pg_config --bindir = " + fromPgConfig.get() + " (no server binaries there)");
        } else {
            tried.add("pg_config (not on PATH)");
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (DirectoryStream<Path> versions = Files.newDirectoryStream(debian)) {
                List<Path> candidates = new ArrayList<>();
                versions.forEach(v -> candidates.add(v.resolve("bin")));
                Optional<Path> newest = candidates.stream().filter(PostgresBinaries::hasServer)
                        .max(Comparator.comparing(p -> versionOf(p.getParent())));
                if (newest.isPresent()) {
                    return new PostgresBinaries(newest.get());
                }
            } catch (IOException e) {
                tried.add(debian + " (" + e.getMessage() + ")");
            }
        }
        tried.add(debian + "/*/bin");
        throw new TestkitException("no PostgreSQL server binaries found; tried " + String.join(", ", tried)
                + ". Install them (Debian: apt-get install postgresql) or set PG_BIN to the directory "
                + "holding postgres, initdb and pg_basebackup.");
    }

    public String path(String tool) {
        return binDirectory.resolve(tool).toString();
    }

    private static boolean hasServer(Path dir) {
        return Files.isExecutable(dir.resolve("postgres")) && Files.isExecutable(dir.resolve("initdb"))
                && Files.isExecutable(dir.resolve("pg_basebackup"));
    }

    private static int versionOf(Path versionDir) {
        try {
            return Integer.parseInt(versionDir.getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Optional<Path> pgConfigBindir() {
        try {
            Process process = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0 && !out.isEmpty()) {
                return Optional.of(Path.of(out));
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
