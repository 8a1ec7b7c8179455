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

    /**
     * Whether this user may enter {@code dir}: a folder above it closed to others (a clone in root's
     * home, mode 0700) keeps the server out of its own directory. Always true when the JVM is not root (the
     * servers then run as the JVM's own user).
     */
    public boolean canReach(Path dir) {
        if (!jvmIsRoot()) {
            return true;
        }
        if (!exists()) {
            throw new TestkitException(missing());
        }
        try {
            Process test = new ProcessBuilder(wrap(List.of("test", "-x", dir.toString())))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!test.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                test.destroyForcibly();
                throw new TestkitException("cannot tell whether OS user '" + name + "' reaches " + dir);
            }
            return test.exitValue() == 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run setpriv to check " + dir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted while checking " + dir, e);
        }
    }

    /** Whether the user exists on this machine (the postgresql package creates {@code postgres}). */
    public boolean exists() {
        try {
            Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(name);
            return true;
        } catch (java.nio.file.attribute.UserPrincipalNotFoundException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look OS user '" + name + "' up", e);
        }
    }

    private String missing() {
        return "OS user '" + name + "' does not exist: the JVM runs as root and PostgreSQL refuses root. Install "
                + "the postgresql package (it creates the user) or set -Dregent.testkit.os-user=<user>";
    }

    /** The one line for a server directory this user cannot reach, saying what to do. */
    public String cannotReach(Path dir, String remedy) {
        return "the OS user '" + name + "' the servers run as (they refuse root) cannot enter " + dir
                + " - a folder above it is closed to other users (mode 0700, like root's home): " + remedy;
    }

    /** Creates {@code dir} owned by this user (when root) with mode 0700, and checks the user can reach it. */
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
                    throw new TestkitException(missing(), e);
                }
                GroupPrincipal group = lookup.lookupPrincipalByGroupName(name);
                PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
                view.setOwner(user);
                view.setGroup(group);
                if (!canReach(dir)) {
                    throw new TestkitException(cannotReach(dir, "put the testkit's files where it can, e.g. "
                            + "-Dregent.testkit.dir=/var/tmp/regent-testkit"));
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }
}
