package io.regent.ctl.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session file is the user's alone, written whole, and not used once others could read it. */
class SessionStoreTest {

    @TempDir
    Path home;

    private static StoredSession session(String access) {
        return new StoredSession("http://127.0.0.1:8080", "http://127.0.0.1:8180/realms/regent", "regentctl",
                StoredSession.DEVICE, "olivia", access, Instant.parse("2026-12-07T04:05:00Z"), "refresh-1",
                Instant.parse("2026-12-07T04:30:00Z"));
    }

    @Test
    void writtenOwnerOnlyInAnOwnerOnlyFolderAndReadBack() throws Exception {
        SessionStore store = new SessionStore(home.resolve(".config/regentctl"));
        store.save(session("access-1"));
        store.save(session("access-2")); // replaced whole

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file().getParent())))
                .isEqualTo("rwx------");
        assertThat(store.load()).contains(session("access-2"));
        try (var files = Files.list(store.file().getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("session.json");
        }
    }

    @Test
    void aFileOthersCanReadIsNotUsed() throws Exception {
        SessionStore store = new SessionStore(home);
        store.save(session("access-1"));
        Files.setPosixFilePermissions(store.file(), PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(store::load).isInstanceOf(CtlException.class)
                .hasMessageContaining("can be read by others (mode rw-r--r--), so its tokens are not used")
                .satisfies(e -> assertThat(((CtlException) e).exitCode()).isEqualTo(ExitCodes.NOT_SIGNED_IN));
        assertThat(store.delete()).isTrue();
        assertThat(store.load()).isEmpty();
        assertThat(store.delete()).isFalse();
    }
}
