package io.regent.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/** A server directory inside a folder closed to the servers' OS user is refused up front, in one line. */
class OsUserTest {

    private final OsUser postgres = new OsUser("postgres");

    @Test
    void aFolderUnderOneOnlyRootMayEnterIsOutOfReachAndRefused() throws Exception {
        assertThat(OsUser.jvmIsRoot()).as("the tests run as root (README: the tests need root)").isTrue();
        Path closed = Files.createTempDirectory("regent-closed-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        try {
            Path open = Files.createDirectories(closed.resolve("clone"));
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
            assertThat(postgres.canReach(open)).isFalse();
            assertThatThrownBy(() -> postgres.createOwnedDirectory(open.resolve("node-1")))
                    .isInstanceOf(TestkitException.class)
                    .hasMessageContaining("cannot enter " + open.resolve("node-1"))
                    .hasMessageContaining("-Dregent.testkit.dir=/var/tmp/regent-testkit")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));

            Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwxr-xr-x"));
            assertThat(postgres.canReach(open)).isTrue();
            // a user that is not there is said so, not taken for a closed folder
            OsUser nobodyHere = new OsUser("regent-no-such-user");
            assertThat(nobodyHere.exists()).isFalse();
            assertThatThrownBy(() -> nobodyHere.canReach(open)).isInstanceOf(TestkitException.class)
                    .hasMessageContaining("OS user 'regent-no-such-user' does not exist")
                    .hasMessageContaining("Install the postgresql package");
            assertThat(postgres.createOwnedDirectory(open.resolve("node-2"))).isDirectory();
        } finally {
            Testkit.deleteRecursively(closed);
        }
    }
}
