package io.regent.testkit.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.regent.testkit.Testkit;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import java.util.Map;

/**
 * A real single-node PostgreSQL for a service's own database in a {@code @QuarkusTest}: database
 * {@code regent} owned by role {@code regent_app}. Sets the {@code quarkus.datasource.*} properties.
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {

    public static final String DATABASE = "regent";
    public static final String OWNER = "regent_app";

    private PostgresCluster server;

    @Override
    public Map<String, String> start() {
        server = PostgresCluster.builder().name("servicedb").nodes(1).start();
        PostgresNode node = server.initialLeader();
        String password = Testkit.randomSecret();
        node.execute("CREATE ROLE " + OWNER + " LOGIN PASSWORD '" + password + "'");
        node.execute("CREATE DATABASE " + DATABASE + " OWNER " + OWNER);
        return Map.of(
                "quarkus.datasource.jdbc.url", node.jdbcUrl(DATABASE),
                "quarkus.datasource.username", OWNER,
                "quarkus.datasource.password", password);
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
