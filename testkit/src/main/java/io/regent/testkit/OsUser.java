package io.regent.testkit;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a command as another OS user when this JVM is root (PostgreSQL refuses to run as root),
 * and hands directories to that user. {@code setpriv} execs in place, so the PID Java sees is the
 * server's own.
 */
public record OsUser(String name) {

    /** The user servers that refuse root run as: {@code regent.testkit.os-user}, else {@code postgres}. */
    public static OsUser forServers() {
        String configured = System.getProperty("regent.testkit.os-user", System.getenv("REGENT_TESTKIT_OS_USER"));
        return new OsUser(configured == null || configured.isBlank() ? "postgres" : configured);
    }

    public static boolean jvmIsRoot() {
        return new UnixSystem().getUid() == 0;
    }

    /** {@code command} prefixed so that it runs as this user when the JVM is root, unchanged otherwise. */
    public List<String> wrap(List<String> command) {
        if (!jvmIsRoot()) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("setpriv", "--reuid=" + name, "--regid=" + name,
                "--init-groups", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Creates {@code dir} owned by this user (when root) with mode 0700. */
    public Path createOwnedDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            if (jvmIsRoot()) {
                UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
                UserPrincipal user;
                try {
                    user = lookup.lookupPrincipalByName(name);
                } catch (java.nio.file.attribute.UserPrincipalNotFoundException e) {
                    throw new TestkitException("OS user '" + name + "' does not exist: the JVM runs as root and "
                            + "PostgreSQL refuses root. Install the postgresql package (it creates the user) or "
                            + "set -Dregent.testkit.os-user=<user>", e);
                }
                GroupPrincipal group = lookup.lookupPrincipalByGroupName(name);
                PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
                view.setOwner(user);
                view.setGroup(group);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }
}
