package io.regent.ctl.auth;

import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import io.regent.ctl.api.Gateway;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * The session file, {@code <config folder>/session.json}: the folder 0700, the file 0600, written whole to a
 * private temporary file and moved into place (a reader never sees half a token; another user never sees one).
 */
public final class SessionStore {

    static final Set<PosixFilePermission> FOLDER = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

    private final Path folder;

    public SessionStore(Path folder) {
        this.folder = folder;
    }

    public Path file() {
        return folder.resolve("session.json");
    }

    public Optional<StoredSession> load() {
        Path file = file();
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            if (posix() && !FILE.containsAll(Files.getPosixFilePermissions(file))) {
                // someone widened it: the tokens may have been read - they are not used, sign in again
                throw new CtlException(ExitCodes.NOT_SIGNED_IN, file + " can be read by others (mode "
                        + PosixFilePermissions.toString(Files.getPosixFilePermissions(file)) + "), so its tokens are "
                        + "not used: delete it (regentctl logout) and sign in again");
            }
            return Optional.of(Gateway.JSON.readValue(file.toFile(), StoredSession.class));
        } catch (IOException e) {
            throw new CtlException(ExitCodes.NOT_SIGNED_IN, "cannot read " + file + " (" + e.getMessage()
                    + "): sign in again with regentctl login", e);
        }
    }

    public void save(StoredSession session) {
        try {
            Files.createDirectories(folder);
            if (posix()) {
                Files.setPosixFilePermissions(folder, FOLDER);
            }
            Path temporary = posix()
                    ? Files.createTempFile(folder, ".session", ".tmp", PosixFilePermissions.asFileAttribute(FILE))
                    : Files.createTempFile(folder, ".session", ".tmp");
            try {
                Gateway.JSON.writerWithDefaultPrettyPrinter().writeValue(temporary.toFile(), session);
                try {
                    Files.move(temporary, file(), StandardCopyOption.REPLACE_EXISTING,
                            StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temporary, file(), StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temporary);
            }
        } catch (IOException e) {
            throw new CtlException(ExitCodes.USAGE, "cannot write the session to " + file() + ": " + e.getMessage()
                    + " (choose another folder with --config-dir or REGENTCTL_CONFIG_DIR)", e);
        }
    }

    /** Forgets the session; true if there was one. */
    public boolean delete() {
        try {
            return Files.deleteIfExists(file());
        } catch (IOException e) {
            throw new CtlException(ExitCodes.USAGE, "cannot delete " + file() + ": " + e.getMessage(), e);
        }
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }
}
