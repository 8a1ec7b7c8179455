package io.regent.engines.postgres;

import io.regent.engines.EngineActionException;
import io.regent.engines.NodeTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Node-local repairs that need the data directory, so only an agent next to the node can do them:
 * turn an old leader into a follower of the new one with {@code pg_rewind}, or rebuild a node from
 * scratch with {@code pg_basebackup}. The server must be stopped; the caller starts it afterwards.
 * Both end with the node's own settings restored (the tools copy the leader's configuration) and a
 * follower configuration pointing at {@code leader}. Measured pitfalls are in DESIGN.md.
 */
public final class PostgresNodeRepair {

    /** Settings copied from the leader that must not survive on a follower. */
    private static final Set<String> LEADER_ONLY = Set.of("primary_conninfo", "synchronous_standby_names",
            "default_transaction_read_only", "primary_slot_name");

    private final PostgresActions actions;

    public PostgresNodeRepair(String applicationName) {
        this.actions = new PostgresActions(applicationName);
    }

    /** What a rewind did, for the operation's phases. */
    public record Outcome(boolean rewound, String detail) {
    }

    /**
     * Rewinds the stopped {@code node} onto {@code leader}'s timeline. {@code pg_rewind} recovers a
     * node that crashed first (PostgreSQL 13+ runs crash recovery in single-user mode).
     */
    public Outcome rewind(LocalNode node, NodeTarget leader, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        // without a checkpoint on the new leader pg_rewind can wrongly find "no rewind required"
        actions.checkpoint(leader, new io.regent.engines.Deadline(deadline));
        String output = LocalCommands.run(node, List.of(node.binDirectory().resolve("pg_rewind").toString(),
                "--target-pgdata=" + node.dataDirectory(), "--source-server=" + sourceServer(leader)),
                Map.of("PGPASSWORD", leader.password() == null ? "" : leader.password()), remaining(deadline),
                "pg_rewind of " + node.name() + " from " + leader.name());
        boolean rewound = !output.contains("no rewind required");
        configureFollower(node, leader);
        return new Outcome(rewound, rewound ? node.name() + " rewound onto " + leader.name() + "'s timeline"
                : node.name() + " had not diverged from " + leader.name());
    }

    /**
     * Replaces the stopped {@code node}'s data directory with a fresh copy of {@code leader}'s (the
     * old one, if any, is kept beside it as {@code <dir>.replaced-<millis>} for a person to inspect).
     */
    public void rebuild(LocalNode node, NodeTarget leader, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path data = node.dataDirectory();
        try {
            if (Files.exists(data) && !isEmpty(data)) {
                Files.move(data, data.resolveSibling(data.getFileName() + ".replaced-" + System.currentTimeMillis()));
            }
            Files.createDirectories(data);
            Files.setPosixFilePermissions(data, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            LocalCommands.chown(node, data);
        } catch (IOException e) {
            throw new EngineActionException("rebuild " + node.name() + ": cannot prepare " + data + ": " + e.getMessage(),
                    e);
        }
        LocalCommands.run(node, List.of(node.binDirectory().resolve("pg_basebackup").toString(), "-D", data.toString(),
                "-h", leader.host(), "-p", Integer.toString(leader.port()), "-U", node.replicationUser(),
                "-X", "stream", "-c", "fast", "--no-password"),
                Map.of("PGPASSWORD", node.replicationPassword() == null ? "" : node.replicationPassword()),
                remaining(deadline), "pg_basebackup of " + node.name() + " from " + leader.name());
        configureFollower(node, leader);
    }

    /** Node settings back, leader-only settings out, {@code primary_conninfo} to {@code leader}, standby.signal. */
    private void configureFollower(LocalNode node, NodeTarget leader) {
        Path data = node.dataDirectory();
        try {
            StringBuilder own = new StringBuilder("# written by Regent for node " + node.name() + "\n");
            node.nodeSettings().forEach((key, value) -> own.append(key).append(" = ").append(quote(value)).append('\n'));
            LocalCommands.write(node, data.resolve(LocalNode.NODE_CONF), own.toString());

            Path conf = data.resolve("postgresql.conf");
            String include = "include_if_exists = '" + LocalNode.NODE_CONF + "'";
            String main = Files.exists(conf) ? Files.readString(conf) : "";
            if (!main.contains(include)) {
                LocalCommands.write(node, conf, main + (main.endsWith("\n") || main.isEmpty() ? "" : "\n") + include + "\n");
            }

            Path auto = data.resolve("postgresql.auto.conf");
            List<String> kept = new ArrayList<>();
            if (Files.exists(auto)) {
                for (String line : Files.readAllLines(auto)) {
                    String key = line.split("=", 2)[0].strip();
                    if (!LEADER_ONLY.contains(key)) {
                        kept.add(line);
                    }
                }
            }
            // the password goes to the passfile, never into a setting (docs/security.md)
            Passfile.write(node, node.replicationUser(), node.replicationPassword() == null ? ""
                    : node.replicationPassword());
            kept.add("primary_conninfo = " + quote(Conninfo.format(new java.util.LinkedHashMap<>(Map.of(
                    "host", leader.host(), "port", Integer.toString(leader.port()), "user", node.replicationUser(),
                    "passfile", Passfile.in(data).toString(), "application_name", node.name())))));
            LocalCommands.write(node, auto, String.join("\n", kept) + "\n");
            LocalCommands.write(node, data.resolve("standby.signal"), "");
        } catch (IOException e) {
            throw new EngineActionException("configuring " + node.name() + " as a follower of " + leader.name()
                    + " failed: " + e.getMessage(), e);
        }
    }

    private static String sourceServer(NodeTarget leader) {
        return Conninfo.format(new java.util.LinkedHashMap<>(Map.of("host", leader.host(),
                "port", Integer.toString(leader.port()), "user", leader.username(), "dbname", leader.database())));
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    /** A configuration file's quoted string, as ALTER SYSTEM writes it: quotes and backslashes doubled. */
    static String quote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static Duration remaining(long deadline) {
        long nanos = deadline - System.nanoTime();
        if (nanos <= 0) {
            throw new EngineActionException("no time left");
        }
        return Duration.ofNanos(nanos);
    }
}
