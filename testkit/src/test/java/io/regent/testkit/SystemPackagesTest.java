package io.regent.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which package provides what, and the one line a machine gets where the testkit does not install. */
class SystemPackagesTest {

    /** Never created: a test that reached the installer would fail on it. */
    private static final Path NO_LOCK = Path.of("/nonexistent/regent-apt-get.lock");
    private static final Path NO_LOG = Path.of("/nonexistent/regent-apt-get.log");
    private static final SystemPackages.Need ABSENT = new SystemPackages.Need("the hello program", "hello",
            () -> false);

    @Test
    void eachProgramComesFromItsDebianPackageAndEachPackageIsNamedOnce() {
        assertThat(SystemPackages.packagesOf(List.of(SystemPackages.POSTGRESQL, SystemPackages.MARIADB_SERVER,
                SystemPackages.MARIADB_INSTALL_DB, SystemPackages.HAPROXY, SystemPackages.SOCAT, SystemPackages.IP,
                SystemPackages.LIBFAKETIME, SystemPackages.TAR))).containsExactly("postgresql", "mariadb-server",
                        "haproxy", "socat", "iproute2", "libfaketime", "tar");
        assertThat(SystemPackages.packagesOf(SystemPackages.BROWSER))
                .containsExactly("chromium", "chromium-driver", "fonts-liberation");
    }

    @Test
    void everyPackageIsOneCiRunInstallsToo() throws Exception {
        String ciRun = Files.readString(Path.of("..", ".ci", "run"));
        for (String debianPackage : SystemPackages.packagesOf(List.of(SystemPackages.POSTGRESQL,
                SystemPackages.MARIADB_SERVER, SystemPackages.HAPROXY, SystemPackages.SOCAT, SystemPackages.IP,
                SystemPackages.LIBFAKETIME, SystemPackages.TAR, SystemPackages.CHROMIUM, SystemPackages.CHROMEDRIVER,
                SystemPackages.LIBERATION_FONTS, SystemPackages.OPENSSL, io.regent.testkit.docker.DockerEngine.DOCKERD,
                io.regent.testkit.docker.DockerEngine.COMPOSE, io.regent.testkit.docker.DockerEngine.DEBOOTSTRAP))) {
            assertThat(ciRun).as(".ci/run installs " + debianPackage).contains("missing+=(" + debianPackage + ")");
        }
    }

    @Test
    void notRootOnDebianSaysInOneLineWhatToRunWithSudo() {
        SystemPackages packages = new SystemPackages(false, true, true, NO_LOCK, NO_LOG);
        assertThatThrownBy(() -> packages.ensure(ABSENT, SystemPackages.TAR))
                .isInstanceOf(TestkitException.class)
                .hasMessage("missing on this machine: the hello program. "
                        + "Run: sudo apt-get install -y --no-install-recommends hello");
    }

    @Test
    void rootWithInstallingTurnedOffIsToldTheCommandWithoutSudo() {
        SystemPackages packages = new SystemPackages(true, true, false, NO_LOCK, NO_LOG);
        assertThatThrownBy(() -> packages.ensure(ABSENT, ABSENT))
                .hasMessage("missing on this machine: the hello program, the hello program. "
                        + "Run: apt-get install -y --no-install-recommends hello")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void withoutAptItNamesTheDebianPackagesForReference() {
        SystemPackages packages = new SystemPackages(true, false, true, NO_LOCK, NO_LOG);
        assertThatThrownBy(() -> packages.ensure(ABSENT))
                .hasMessage("missing on this machine: the hello program. "
                        + "Install them (the Debian/Ubuntu packages are: hello)");
    }

    @Test
    void nothingMissingMeansNoInstallerAtAll() {
        new SystemPackages(true, true, true, NO_LOCK, NO_LOG)
                .ensure(new SystemPackages.Need("sh", "dash", () -> true), SystemPackages.TAR);
        assertThat(NO_LOCK).doesNotExist();
    }
}
