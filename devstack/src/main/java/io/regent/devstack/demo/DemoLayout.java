package io.regent.devstack.demo;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * Where the demo runs: fixed loopback ports (the registry records the database nodes' ports, and
 * Keycloak the dashboard's address, so a second run must use the same ones) and one home folder
 * with every server's data ({@code <name>/}), the logs ({@code logs/}) and the generated secrets.
 */
public record DemoLayout(Path home) {

    public static final String CLUSTER = "demo";
    public static final List<String> NODES = List.of("demo-1", "demo-2", "demo-3");

    /** One port the demo listens on, and what for. */
    public record Port(int number, String what) {
    }

    public static final int GATEWAY = 8080;
    public static final int REGISTRY = 8081;
    public static final int FAILOVER = 8082;
    /** Node agents of demo-1..3, then the remote agent. */
    public static final int FIRST_AGENT = 8083;
    public static final int KEYCLOAK = 8180;
    public static final int KEYCLOAK_MANAGEMENT = 8181;
    public static final int KAFKA = 9092;
    public static final int KAFKA_CONTROLLER = 9093;
    public static final int REGISTRY_DATABASE = 5440;
    /** The fault campaign's second registry replica, second failover-service instance and registry load balancer. */
    public static final int REGISTRY_REPLICA = 8087;
    public static final int FAILOVER_REPLICA = 8088;
    public static final int REGISTRY_FRONT = 8089;
    /** demo-1..3 */
    public static final int FIRST_NODE = 5441;

    public static final List<Port> PORTS = List.of(
            new Port(GATEWAY, "api-gateway (dashboard and API)"),
            new Port(REGISTRY, "registry-service"),
            new Port(FAILOVER, "failover-service"),
            new Port(FIRST_AGENT, "monitor agent of demo-1"),
            new Port(FIRST_AGENT + 1, "monitor agent of demo-2"),
            new Port(FIRST_AGENT + 2, "monitor agent of demo-3"),
            new Port(FIRST_AGENT + 3, "remote monitor agent"),
            new Port(KEYCLOAK, "Keycloak"),
            new Port(KEYCLOAK_MANAGEMENT, "Keycloak management"),
            new Port(KAFKA, "Kafka broker"),
            new Port(KAFKA_CONTROLLER, "Kafka controller"),
            new Port(REGISTRY_DATABASE, "PostgreSQL of the registry"),
            new Port(FIRST_NODE, "PostgreSQL demo-1"),
            new Port(FIRST_NODE + 1, "PostgreSQL demo-2"),
            new Port(FIRST_NODE + 2, "PostgreSQL demo-3"));

    /** The demo's ports and the fault campaign's own: two registry replicas behind HAProxy, two failover-services. */
    public static final List<Port> CAMPAIGN_PORTS = java.util.stream.Stream.concat(PORTS.stream(), java.util.stream.Stream.of(
            new Port(REGISTRY_REPLICA, "second registry-service replica (fault campaign)"),
            new Port(FAILOVER_REPLICA, "second failover-service instance (fault campaign)"),
            new Port(REGISTRY_FRONT, "HAProxy in front of the registry replicas (fault campaign)"))).toList();

    public static URI gateway() {
        return URI.create("http://127.0.0.1:" + GATEWAY);
    }

    public static URI keycloak() {
        return URI.create("http://127.0.0.1:" + KEYCLOAK);
    }

    public Path logs() {
        return home.resolve("logs");
    }

    public Path secrets() {
        return home.resolve("secrets.properties");
    }

    /** A node's data directory (the testkit keeps cluster {@code demo} in {@code pg-demo/<node>/data}). */
    public Path dataDirectory(String node) {
        return home.resolve("pg-" + CLUSTER).resolve(node).resolve("data");
    }
}
