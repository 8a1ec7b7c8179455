package io.regent.monitor;

import io.regent.testkit.postgres.PostgresCluster;

/** The cluster of {@link MonitoredClusterResource}, for tests in other packages. */
public final class MonitoredClusterAccess {
    private MonitoredClusterAccess() {
    }

    public static PostgresCluster cluster() {
        return MonitoredClusterResource.cluster();
    }
}
