package io.regent.testkit.stack;

import io.regent.testkit.OsUser;
import io.regent.testkit.kafka.KafkaBroker;
import io.regent.testkit.keycloak.Keycloak;
import io.regent.testkit.mariadb.MariaDbCluster;
import io.regent.testkit.postgres.PostgresBinaries;
import io.regent.testkit.postgres.PostgresCluster;
import io.regent.testkit.postgres.PostgresNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How each packaged service is configured to run next to the testkit's servers: the system
 * properties of one instance, in one place for the tests' {@link ControlPlane} and the local demo.
 * Secrets are not here: they go through the environment ({@link #identity}).
 */
public final class ServiceSettings {

    private ServiceSettings() {
    }

    /** The registry on {@code jdbcUrl} (user {@code regent_app}); {@code issuer} null: the testkit's signing key. */
    public static Map<String, String> registry(String kafka, String jdbcUrl, String issuer, String publicKey) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("kafka.bootstrap.servers", kafka);
        properties.put("quarkus.datasource.jdbc.url", jdbcUrl);
        properties.put("quarkus.datasource.username", "regent_app");
        properties.put("regent.registry.outbox.poll-interval", "200ms");
        verifier(properties, issuer, publicKey);
        return properties;
    }

    /** A monitor agent that loads the registry over REST, then follows the topic. */
    public static Map<String, String> agent(String id, String zone, String kafka, URI registry, String controlUser) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("regent.monitor.agent-id", id);
        properties.put("regent.monitor.zone", zone);
        properties.put("kafka.bootstrap.servers", kafka);
        properties.put("quarkus.rest-client.registry.url", registry.toString());
        properties.put("regent.monitor.credentials.default.username", controlUser);
        return properties;
    }

    /**
     * An agent in node mode next to {@code node}: it also stops, starts, rewinds and rebuilds it,
     * when asked with a token of {@code issuer} (null: the testkit's signing key).
     */
    public static Map<String, String> nodeAgent(String cluster, PostgresNode node, String replicationUser,
            String kafka, URI registry, String controlUser, String issuer, String publicKey) {
        Map<String, String> properties = agent("node-agent-" + node.name(), "zone-" + node.name(), kafka, registry,
                controlUser);
        properties.put("regent.monitor.node.cluster-id", cluster);
        properties.put("regent.monitor.node.name", node.name());
        properties.put("regent.monitor.node.data-directory", node.dataDirectory().toString());
        properties.put("regent.monitor.node.bin-directory", PostgresBinaries.locate().binDirectory().toString());
        properties.put("regent.monitor.node.os-user", OsUser.forServers().name());
        properties.put("regent.monitor.node.replication-user", replicationUser);
        properties.put("quarkus.oidc.tenant-enabled", "true");
        if (issuer == null) {
            verifier(properties, null, publicKey);
        }
        return properties;
    }

    /** A failover-service instance in consumer group {@code group}. */
    public static Map<String, String> failover(String instance, String group, String kafka, URI registry,
            String controlUser) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("regent.failover.instance-id", instance);
        properties.put("regent.failover.consumer-group", group);
        properties.put("kafka.bootstrap.servers", kafka);
        properties.put("quarkus.rest-client.registry.url", registry.toString());
        properties.put("regent.failover.credentials.default.username", controlUser);
        return properties;
    }

    /** An api-gateway instance verifying tokens of {@code issuer}. */
    public static Map<String, String> gateway(String name, String kafka, String issuer, URI registry) {
        return new LinkedHashMap<>(Map.of(
                "kafka.bootstrap.servers", kafka,
                "quarkus.oidc.auth-server-url", issuer,
                "quarkus.rest-client.registry.url", registry.toString(),
                "regent.gateway.instance-id", name));
    }

    /**
     * The environment with which a service proves who it is: {@code staticToken}, or - with Keycloak -
     * its confidential client's secret, from which it obtains and renews tokens (client credentials).
     */
    public static Map<String, String> identity(Keycloak keycloak, String clientId, String staticToken,
            Map<String, String> environment) {
        Map<String, String> result = new LinkedHashMap<>(environment);
        if (keycloak == null) {
            result.put("REGENT_SERVICE_TOKEN", staticToken);
        } else {
            result.put("REGENT_OIDC_URL", keycloak.issuer());
            result.put("REGENT_OIDC_CLIENT_ENABLED", "true");
            result.put("REGENT_OIDC_CLIENT_ID", clientId);
            result.put("REGENT_OIDC_CLIENT_SECRET", keycloak.clientSecret(clientId));
        }
        return result;
    }

    /**
     * {@code environment} plus the Kafka principal and password the service authenticates with
     * ({@code REGENT_KAFKA_USERNAME}, {@code REGENT_KAFKA_PASSWORD}; the broker authorises it by
     * {@link io.regent.events.KafkaAccess}).
     */
    public static Map<String, String> kafkaIdentity(KafkaBroker kafka, String principal,
            Map<String, String> environment) {
        Map<String, String> result = new LinkedHashMap<>(environment);
        result.put("REGENT_KAFKA_USERNAME", principal);
        result.put("REGENT_KAFKA_PASSWORD", kafka.password(principal));
        return result;
    }

    /**
     * The registry's body for registering a testkit cluster: node 1 leads, every node in zone
     * {@code zone-<node>}, {@code policy} over the registry's defaults.
     */
    public static Map<String, Object> registration(PostgresCluster cluster, String displayName,
            Map<String, Object> policy) {
        List<Map<String, Object>> nodes = new ArrayList<>();
        cluster.nodes().forEach(node -> nodes.add(node(node.name(), node.host(), node.port(),
                node == cluster.initialLeader())));
        return registration(cluster.name(), displayName, "POSTGRESQL", nodes, cluster.replication().syncCount(),
                policy);
    }

    /** The same for a MariaDB cluster (GTID replication; semi-synchronous is {@code ANY 1}). */
    public static Map<String, Object> registration(MariaDbCluster cluster, String displayName,
            Map<String, Object> policy) {
        List<Map<String, Object>> nodes = new ArrayList<>();
        cluster.nodes().forEach(node -> nodes.add(node(node.name(), node.host(), node.port(),
                node == cluster.initialLeader())));
        return registration(cluster.name(), displayName, "MARIADB", nodes, cluster.semiSynchronous() ? 1 : 0, policy);
    }

    private static Map<String, Object> node(String name, String host, int port, boolean leader) {
        Map<String, Object> entry = new LinkedHashMap<>(Map.of("name", name, "host", host, "port", port, "zone",
                "zone-" + name));
        if (leader) {
            entry.put("role", "LEADER");
        }
        return entry;
    }

    private static Map<String, Object> registration(String id, String displayName, String engine,
            List<Map<String, Object>> nodes, int syncCount, Map<String, Object> policy) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("id", id, "displayName", displayName,
                "engine", engine, "nodes", nodes, "failoverPolicy", policy));
        if (syncCount > 0) {
            body.put("replication", Map.of("mode", "SYNC_ANY", "syncCount", syncCount));
        }
        return body;
    }

    private static void verifier(Map<String, String> properties, String issuer, String publicKey) {
        if (issuer == null) {
            properties.put("quarkus.oidc.auth-server-url", "");
            properties.put("quarkus.oidc.public-key", publicKey);
        } else {
            properties.put("quarkus.oidc.auth-server-url", issuer);
        }
    }
}
