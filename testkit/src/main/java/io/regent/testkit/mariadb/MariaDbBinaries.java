package io.regent.testkit.mariadb;

import io.regent.testkit.SystemPackages;
import io.regent.testkit.TestkitException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Where the MariaDB server and its data directory initialiser are: Debian's {@code mariadb-server}, installed when missing. */
final class MariaDbBinaries {

    private MariaDbBinaries() {
    }

    static Path server() {
        return find("regent.testkit.mariadb.server", List.of("/usr/sbin/mariadbd", "/usr/sbin/mysqld"));
    }

    static Path installDb() {
        return find("regent.testkit.mariadb.install-db",
                List.of("/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db"));
    }

    private static Path find(String property, List<String> candidates) {
        String configured = System.getProperty(property);
        if (configured != null) {
            if (Files.isExecutable(Path.of(configured))) {
                return Path.of(configured);
            }
            throw new TestkitException("-D" + property + "=" + configured + " is not an executable file");
        }
        return first(candidates).orElseGet(() -> {
            SystemPackages.machine().ensure(SystemPackages.MARIADB_SERVER, SystemPackages.MARIADB_INSTALL_DB);
            return first(candidates).orElseThrow(() -> new TestkitException("no MariaDB binary at " + candidates
                    + " after installing mariadb-server: set -D" + property + "=<path>"));
        });
    }

    private static Optional<Path> first(List<String> candidates) {
        return candidates.stream().map(Path::of).filter(Files::isExecutable).findFirst();
    }
}
