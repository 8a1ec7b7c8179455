package io.regent.monitor;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.regent.testkit.mariadb.MariaDbCluster;
import io.regent.testkit.postgres.PostgresCluster;
import java.util.Map;

/** A real 3-node synchronous cluster for the agent to watch, with its least-privilege role configured. */
public class MonitoredClusterResource implements QuarkusTestResourceLifecycleManager {

    private static volatile PostgresCluster current;
    private static volatile MariaDbCluster mariaDb;

    public static PostgresCluster cluster() {
        return current;
    }

    /** A 2-node MariaDB cluster whose monitoring user has the same name and password (agents have one). */
    public static MariaDbCluster mariaDb() {
        return mariaDb;
    }

    @Override
    public Map<String, String> start() {
        current = PostgresCluster.builder().name("mon").nodes(3).synchronousAny(1).start();
        mariaDb = MariaDbCluster.start("maria", 2, current.controlRole());
        return Map.of("regent.monitor.credentials.default.username", current.controlRole().user(),
                "regent.monitor.credentials.default.password", current.controlRole().password());
    }

    @Override
    public void stop() {
        if (mariaDb != null) {
            mariaDb.close();
            mariaDb = null;
        }
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
