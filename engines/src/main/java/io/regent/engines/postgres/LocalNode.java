package io.regent.engines.postgres;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A PostgreSQL node as the agent running next to it sees it: where its files and binaries are,
 * which OS user owns them, the settings only this node has, and how it logs in to a leader for
 * replication. {@link #toString()} never shows the password.
 *
 * @param name                 the node's name (also its WAL receiver's {@code application_name})
 * @param dataDirectory        {@code PGDATA}
 * @param binDirectory         the server binaries ({@code pg_rewind}, {@code pg_basebackup})
 * @param osUser               the user that owns the data directory, when the agent runs as root
 * @param nodeSettings         settings only this node has (port, cluster_name …); {@code pg_rewind} and
 *                             {@code pg_basebackup} copy the leader's configuration, so these are written
 *                             again into {@value #NODE_CONF}, which {@code postgresql.conf} includes
 * @param replicationUser      the role followers stream as
 * @param replicationPassword  its password
 */
public record LocalNode(String name, Path dataDirectory, Path binDirectory, Optional<String> osUser,
        Map<String, String> nodeSettings, String replicationUser, String replicationPassword) {

    /** The node-specific configuration file inside the data directory. */
    public static final String NODE_CONF = "regent-node.conf";

    public LocalNode {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(binDirectory, "binDirectory");
        osUser = osUser == null ? Optional.empty() : osUser;
        nodeSettings = Map.copyOf(nodeSettings);
        Objects.requireNonNull(replicationUser, "replicationUser");
    }

    @Override
    public String toString() {
        return "LocalNode[" + name + " at " + dataDirectory + "]";
    }
}
