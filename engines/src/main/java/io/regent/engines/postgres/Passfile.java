package io.regent.engines.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The replication password lives in a libpq password file in the node's data directory, named by
 * {@code passfile=} in {@code primary_conninfo}: it never travels in an {@code ALTER SYSTEM} statement a server
 * may log ({@code log_statement}), nor sits in {@code pg_settings} for every monitoring role to read (DESIGN.md
 * invariant 9). pg_basebackup and pg_rewind copy it with the rest of the directory: every node of a cluster holds
 * the same replication login.
 */
final class Passfile {

    /** Its name in the data directory. */
    static final String NAME = "regent.pgpass";

    private Passfile() {
    }

    static Path in(Path dataDirectory) {
        return dataDirectory.resolve(NAME);
    }

    /** The path a server whose data directory is {@code dataDirectory} finds it at. */
    static String path(String dataDirectory) {
        return dataDirectory + (dataDirectory.endsWith("/") ? "" : "/") + NAME;
    }

    /** One entry for {@code user} on every host, port and database ({@code replication} included). */
    static String entry(String user, String password) {
        return "*:*:*:" + escape(user) + ":" + escape(password) + "\n";
    }

    /** Writes it for {@code node}'s server user, readable by that user alone (libpq ignores a looser file). */
    static void write(LocalNode node, String user, String password) throws IOException {
        Path file = in(node.dataDirectory());
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        LocalCommands.write(node, file, entry(user, password));
    }

    /** libpq's password file escapes ':' and '\' with a backslash. */
    private static String escape(String field) {
        return field.replace("\\", "\\\\").replace(":", "\\:");
    }
}
