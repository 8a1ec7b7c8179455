package io.regent.engines;

import io.regent.events.Engine;
import java.util.Objects;

/**
 * A database node to act on: where it is and how to log in. {@link #toString()} never shows the
 * password.
 *
 * @param clusterId cluster the node belongs to
 * @param name      node name, unique in the cluster
 * @param host      host name or address
 * @param port      TCP port
 * @param engine    the node's engine
 * @param username  Regent's least-privilege role on the node
 * @param password  its password
 * @param database  database to connect to
 */
public record NodeTarget(String clusterId, String name, String host, int port, Engine engine, String username,
        String password, String database) {

    public NodeTarget {
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(username, "username");
        database = database == null ? "postgres" : database;
    }

    /** Identity of the node for caches: a changed endpoint or credential is a different target. */
    public String key() {
        return clusterId + "/" + name + "@" + host + ":" + port + "/" + username + "/" + Objects.hashCode(password);
    }

    @Override
    public String toString() {
        return "NodeTarget[" + clusterId + "/" + name + " " + host + ":" + port + " as " + username + "]";
    }
}
