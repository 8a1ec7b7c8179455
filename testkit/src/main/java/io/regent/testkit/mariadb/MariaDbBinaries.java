package io.regent.testkit.mariadb;

import io.regent.testkit.TestkitException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Where the MariaDB server and its data directory initialiser are: Debian's {@code mariadb-server}. */
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
        List<String> tried = configured == null ? candidates : List.of(configured);
        for (String candidate : tried) {
            Path path = Path.of(candidate);
            if (Files.isExecutable(path)) {
                return path;
            }
        }
        throw new TestkitException("no MariaDB binary at " + tried + ": install the Debian package mariadb-server "
                + "(.ci/run does) or set -D" + property + "=<path>");
    }
}
