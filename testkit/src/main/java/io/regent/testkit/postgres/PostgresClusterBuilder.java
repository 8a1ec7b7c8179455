package io.regent.testkit.postgres;

import io.regent.events.Replication;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** Describes a cluster to build; {@link #start()} builds and starts it. */
public final class PostgresClusterBuilder {

    String name = "pg";
    int nodes = 3;
    Replication replication = Replication.ASYNC;
    Duration startTimeout = Duration.ofSeconds(60);
    final Map<String, String> settings = new LinkedHashMap<>();
    Credentials controlRole;
    Credentials superuser;
    Credentials replicationUser;
    java.util.List<Integer> ports = java.util.List.of();

    PostgresClusterBuilder() {
    }

    /** Prefix of node names: nodes are {@code <name>-1} (initial leader), {@code <name>-2} … */
    public PostgresClusterBuilder name(String name) {
        if (!name.matches("[a-z][a-z0-9-]{0,30}")) {
            throw new IllegalArgumentException("cluster name must be lower-case letters, digits and '-': " + name);
        }
        this.name = name;
        return this;
    }

    /** Number of nodes including the leader (1 = a single server, for a service's own database). */
    public PostgresClusterBuilder nodes(int nodes) {
        if (nodes < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node, got " + nodes);
        }
        this.nodes = nodes;
        return this;
    }

    /** Synchronous replication: every commit waits for {@code k} followers ({@code ANY k (…)}). */
    public PostgresClusterBuilder synchronousAny(int k) {
        this.replication = Replication.syncAny(k);
        return this;
    }

    public PostgresClusterBuilder replication(Replication replication) {
        this.replication = Objects.requireNonNull(replication);
        return this;
    }

    /** An extra {@code postgresql.conf} setting for every node. */
    public PostgresClusterBuilder setting(String name, String value) {
        settings.put(name, value);
        return this;
    }

    /**
     * Regent's least-privilege role with a password chosen by the test (default: a random one), so
     * that one set of agents can watch several clusters with the same credentials.
     */
    public PostgresClusterBuilder controlRole(Credentials credentials) {
        if (!credentials.user().matches("[a-z_][a-z0-9_]{0,30}") || credentials.password().contains("'")) {
            throw new IllegalArgumentException("control role must be a plain identifier with a password without quotes");
        }
        this.controlRole = credentials;
        return this;
    }

    /** The superuser's and the replication role's passwords (default: random), e.g. kept by the local demo. */
    public PostgresClusterBuilder passwords(String superuserPassword, String replicationPassword) {
        this.superuser = new Credentials("postgres", superuserPassword);
        this.replicationUser = new Credentials("replicator", replicationPassword);
        return this;
    }

    /** The nodes' ports, in node order (default: free ones). */
    public PostgresClusterBuilder ports(Integer... ports) {
        this.ports = java.util.List.of(ports);
        return this;
    }

    public PostgresClusterBuilder startTimeout(Duration timeout) {
        this.startTimeout = timeout;
        return this;
    }

    /**
     * Builds the cluster from nothing and returns it with every follower streaming and caught up.
     * In a kept testkit home ({@code regent.testkit.home}) that already holds the cluster, it starts
     * the existing servers instead, as they were left (see {@code LocalPostgresCluster}).
     */
    public PostgresCluster start() {
        if (!ports.isEmpty() && ports.size() != nodes) {
            throw new IllegalArgumentException(nodes + " nodes need " + nodes + " ports, got " + ports);
        }
        if (replication.syncCount() > nodes - 1) {
            throw new IllegalArgumentException("ANY " + replication.syncCount() + " needs at least that many "
                    + "followers, but the cluster has " + (nodes - 1));
        }
        return LocalPostgresCluster.start(this);
    }
}
