package io.regent.testkit.postgres;

import io.regent.testkit.SystemPackages;
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
 * {@code pg_config --bindir}, else the newest {@code /usr/lib/postgresql/<version>/bin}, else installs the
 * {@code postgresql} package ({@link SystemPackages}).
 */
public record PostgresBinaries(Path binDirectory) {

    /** {@code PG_BIN} if set, else the machine's binaries - installed first when missing ({@link SystemPackages}). */
    public static PostgresBinaries locate() {
        String configured = System.getProperty("regent.testkit.pg-bin", System.getenv("PG_BIN"));
        if (configured != null && !configured.isBlank()) {
            Path dir = Path.of(configured);
            if (hasServer(dir)) {
                return new PostgresBinaries(dir);
            }
            throw new TestkitException("PG_BIN=" + configured + " has no postgres, initdb and pg_basebackup");
        }
        Optional<PostgresBinaries> installed = installed();
        if (installed.isPresent()) {
            return installed.get();
        }
        SystemPackages.machine().ensure(SystemPackages.POSTGRESQL);
        return installed().orElseThrow(() -> new TestkitException("no PostgreSQL server binaries found by "
                + "pg_config --bindir or in /usr/lib/postgresql/*/bin: set PG_BIN to the directory holding postgres, "
                + "initdb and pg_basebackup"));
    }

    /** The server binaries {@code pg_config --bindir} names, else the newest {@code /usr/lib/postgresql/<version>/bin}. */
    public static Optional<PostgresBinaries> installed() {
        Optional<Path> fromPgConfig = pgConfigBindir().filter(PostgresBinaries::hasServer);
        if (fromPgConfig.isPresent()) {
            return fromPgConfig.map(PostgresBinaries::new);
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(debian)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> versions = Files.newDirectoryStream(debian)) {
            List<Path> candidates = new ArrayList<>();
            versions.forEach(v -> candidates.add(v.resolve("bin")));
            return candidates.stream().filter(PostgresBinaries::hasServer)
                    .max(Comparator.comparing(p -> versionOf(p.getParent()))).map(PostgresBinaries::new);
        } catch (IOException e) {
            return Optional.empty();
        }
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
