package io.regent.engines.postgres;

import io.regent.engines.NodeTarget;
import io.regent.events.Engine;
import io.regent.testkit.postgres.Credentials;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;

/** A testkit node as the engine reaches it: with Regent's least-privilege role, never the superuser. */
final class Targets {

    private Targets() {
    }

    static NodeTarget target(PostgresCluster cluster, PostgresNode node) {
        Credentials role = cluster.controlRole();
        return new NodeTarget(cluster.name(), node.name(), node.host(), node.port(), Engine.POSTGRESQL, role.user(),
                role.password(), "postgres");
    }
}
