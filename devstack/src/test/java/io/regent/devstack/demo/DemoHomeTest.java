package io.regent.devstack.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.regent.testkit.OsUser;
import io.regent.testkit.Testkit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A clone the postgres user cannot enter keeps the demo's files outside, behind a link; any other stays as it is. */
class DemoHomeTest {

    private Path closed;
    private Path outside;
    private DemoHome homes;

    @BeforeEach
    void folders() throws Exception {
        assertThat(OsUser.jvmIsRoot()).as("the tests run as root (README: the tests need root)").isTrue();
        closed = Files.createTempDirectory("regent-root-home-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        outside = Files.createTempDirectory("regent-demo-outside-");
        Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxr-xr-x"));
        homes = new DemoHome(OsUser.forServers(), outside.resolve("homes"));
    }

    @AfterEach
    void removeFolders() {
        Testkit.deleteRecursively(closed);
        Testkit.deleteRecursively(outside);
    }

    @Test
    void inAClosedCloneTheHomeLinksToAFolderOutsideKeyedByItsPath() throws Exception {
        Path home = closed.resolve("regent/.regent/demo");
        Path placed = homes.place(home);

        Path expected = outside.resolve("homes").resolve(home.toString().substring(1).replace('/', '_'));
        assertThat(placed).isEqualTo(expected.toRealPath());
        assertThat(Files.isSymbolicLink(home)).isTrue();
        assertThat(home.toRealPath()).isEqualTo(placed);
        assertThat(OsUser.forServers().canReach(placed)).isTrue();
        assertThat(DemoHome.existing(home)).isEqualTo(placed);

        Files.writeString(placed.resolve("secrets.properties"), "kept");
        assertThat(homes.place(home)).as("the next run finds the same folder").isEqualTo(placed);
        assertThat(home.resolve("secrets.properties")).hasContent("kept");

        Testkit.deleteRecursively(home); // what --fresh does to the whole home
        assertThat(placed).doesNotExist();
        assertThat(homes.place(home)).isEqualTo(placed);
        assertThat(placed).isEmptyDirectory();
    }

    @Test
    void aHomeAFailedRunLeftInTheClosedCloneMovesOutWithItsFiles() throws Exception {
        Path home = Files.createDirectories(closed.resolve("regent/.regent/demo"));
        Files.writeString(home.resolve("secrets.properties"), "first run");

        Path placed = homes.place(home);

        assertThat(Files.isSymbolicLink(home)).isTrue();
        assertThat(placed.resolve("secrets.properties")).hasContent("first run");
    }

    @Test
    void aHomeThePostgresUserCanReachStaysWhereItIs() throws Exception {
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path home = closed.resolve("regent/.regent/demo");

        assertThat(homes.place(home)).isEqualTo(home);
        assertThat(Files.isSymbolicLink(home)).isFalse();
        assertThat(outside.resolve("homes")).doesNotExist();
    }
}
