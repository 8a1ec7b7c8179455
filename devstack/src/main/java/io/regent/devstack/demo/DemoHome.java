package io.regent.devstack.demo;

import io.regent.testkit.OsUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Where a demo home's files really are. Run as root, the demo's PostgreSQL servers run as the {@code postgres}
 * OS user (PostgreSQL refuses root), which cannot enter a clone inside a folder closed to others (root's home,
 * mode 0700). Then the home ({@code .regent/demo}) is a link to a folder outside the clone, one per home and kept
 * between runs: {@code <outside root>/<the home's path, slashes as underscores>}, the root being
 * {@code REGENT_DEMO_OUTSIDE} or else {@code <java.io.tmpdir>/regent-demo}. Elsewhere the home is a plain folder,
 * as before.
 */
public final class DemoHome {

    /** Where homes the server user cannot reach keep their files: configured, or below the JVM's temporary folder. */
    public static Path outsideRoot() {
        String configured = System.getenv("REGENT_DEMO_OUTSIDE");
        return configured != null && !configured.isBlank() ? Path.of(configured)
                : Path.of(System.getProperty("java.io.tmpdir"), "regent-demo");
    }

    private final OsUser serverUser;
    private final Path outside;

    public DemoHome(OsUser serverUser, Path outside) {
        this.serverUser = serverUser;
        this.outside = outside;
    }

    /** The folder {@code home}'s demo keeps its files in: the home, or the folder it links to, made as needed. */
    public Path place(Path home) {
        try {
            if (Files.isSymbolicLink(home)) {
                Path target = home.resolveSibling(Files.readSymbolicLink(home));
                Files.createDirectories(target); // --fresh or a cleaned temporary folder removed it
                return checked(target.toRealPath());
            }
            Files.createDirectories(home.getParent());
            if (serverUser.canReach(home.getParent())) {
                return home;
            }
            Path target = outsideFolderOf(home);
            if (Files.isDirectory(home)) {
                // servers could never start in it: what it holds is a failed first run's, moved along
                if (Files.exists(target)) {
                    throw new DemoException(home + " and " + target + " both exist, and the postgres user cannot enter "
                            + "the first: remove one of them (rm -rf " + home + ")");
                }
                Files.createDirectories(outside);
                Files.move(home, target);
            }
            Files.createDirectories(target);
            traversable(outside);
            traversable(target);
            Files.createSymbolicLink(home, target);
            return checked(target.toRealPath());
        } catch (IOException e) {
            throw new DemoException("cannot set up the demo's folder " + home + ": " + e, e);
        }
    }

    /** The folder outside the clone for {@code home}: its path, readable, with slashes as underscores. */
    Path outsideFolderOf(Path home) {
        String path = home.toAbsolutePath().normalize().toString();
        return outside.resolve(path.substring(1).replaceAll("[^A-Za-z0-9._-]", "_"));
    }

    /** The home as it is on disk (through its link), for commands that act on a running demo. */
    public static Path existing(Path home) {
        try {
            return home.toRealPath();
        } catch (IOException e) {
            return home; // never started
        }
    }

    private Path checked(Path folder) {
        if (!serverUser.canReach(folder)) {
            throw new DemoException(serverUser.cannotReach(folder, "give the demo a folder it can reach, e.g. "
                    + "./regent demo --home " + outside.resolve("mine")));
        }
        return folder;
    }

    private static void traversable(Path dir) throws IOException {
        // the postgres user must pass through to its own directories below (a umask of 077 would close them)
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
