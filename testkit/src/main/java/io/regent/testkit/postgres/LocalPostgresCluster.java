package io.regent.testkit.postgres;

import io.regent.events.Replication;
import io.regent.events.ReplicationMode;
import io.regent.testkit.OsUser;
import io.regent.testkit.Testkit;
import io.regent.testkit.TestkitException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/** {@link PostgresCluster} made of local server processes, from the machine's PostgreSQL binaries. */
final class LocalPostgresCluster implements PostgresCluster {

    private static final Logger LOG = Logger.getLogger(LocalPostgresCluster.class.getName());

    private final String name;
    private final Path directory;
    private final Replication replication;
    private final Credentials superuser;
    private final Credentials replicationUser;
    private final Credentials controlRole;
    private final List<LocalPostgresNode> nodes = new java.util.concurrent.CopyOnWriteArrayList<>();
    private PostgresBinaries binaries;
    private OsUser osUser;
    private Duration startTimeout;

    private final List<Integer> ports;

    private LocalPostgresCluster(String name, Path directory, PostgresClusterBuilder spec) {
        this.name = name;
        this.directory = directory;
        this.replication = spec.replication;
        this.superuser = spec.superuser != null ? spec.superuser : new Credentials("postgres", Testkit.randomSecret());
        this.replicationUser = spec.replicationUser != null ? spec.replicationUser
                : new Credentials("replicator", Testkit.randomSecret());
        this.controlRole = spec.controlRole != null ? spec.controlRole
                : new Credentials("regent", Testkit.randomSecret());
        this.ports = spec.ports;
    }

    static PostgresCluster start(PostgresClusterBuilder spec) {
        PostgresBinaries binaries = PostgresBinaries.locate();
        OsUser osUser = OsUser.forServers();
        Path directory = Testkit.get().newDirectory("pg-" + spec.name);
        LocalPostgresCluster cluster = new LocalPostgresCluster(spec.name, directory, spec);
        Testkit.get().track(cluster);
        try {
            if (Files.exists(directory.resolve(spec.name + "-1").resolve("data").resolve("PG_VERSION"))) {
                cluster.reopen(spec, binaries, osUser);
            } else {
                cluster.build(spec, binaries, osUser);
            }
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void build(PostgresClusterBuilder spec, PostgresBinaries binaries, OsUser osUser) {
        this.binaries = binaries;
        this.osUser = osUser;
        this.startTimeout = spec.startTimeout;
        long started = System.nanoTime();
        LocalPostgresNode leader = newNode(1, binaries, osUser, spec.startTimeout);
        initLeader(leader, binaries, osUser, spec);
        leader.start();
        createRoles(leader);
        for (int i = 2; i <= spec.nodes; i++) {
            LocalPostgresNode follower = newNode(i, binaries, osUser, spec.startTimeout);
            cloneFrom(leader, follower, binaries, osUser);
            follower.start();
        }
        if (replication.mode() == ReplicationMode.SYNC_ANY) {
            String standbys = nodes.subList(1, nodes.size()).stream().map(n -> '"' + n.name() + '"')
                    .collect(Collectors.joining(", "));
            leader.execute("ALTER SYSTEM SET synchronous_standby_names = 'ANY " + replication.syncCount()
                    + " (" + standbys + ")'");
            leader.execute("SELECT pg_reload_conf()");
        }
        awaitCaughtUp(spec.startTimeout);
        LOG.info(() -> String.format("PostgreSQL cluster %s: %d node(s), %s, ready in %d ms under %s", name,
                nodes.size(), replication, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), directory));
    }

    /**
     * Starts the servers a kept home holds, as the previous run left them: the standbys and one
     * leader. Were several nodes left as leaders (one was replaced while down and never rejoined),
     * only the one on the newest timeline starts; the others stay down for whoever heals the
     * cluster (a node agent's rejoin) - starting them would give the cluster two writable nodes.
     */
    private void reopen(PostgresClusterBuilder spec, PostgresBinaries binaries, OsUser osUser) {
        this.binaries = binaries;
        this.osUser = osUser;
        this.startTimeout = spec.startTimeout;
        long started = System.nanoTime();
        for (int i = 1; Files.exists(directory.resolve(name + "-" + i).resolve("data").resolve("PG_VERSION")); i++) {
            newNode(i, binaries, osUser, spec.startTimeout);
        }
        LocalPostgresNode leader = nodes.stream().filter(n -> !n.configuredAsStandby())
                .max(java.util.Comparator.comparingLong(n -> timeline(n, binaries, osUser))).orElse(null);
        List<String> startedNodes = new ArrayList<>();
        for (LocalPostgresNode node : nodes) {
            if (node == leader || node.configuredAsStandby()) {
                node.start();
                startedNodes.add(node.name());
            }
        }
        LOG.info(() -> String.format("PostgreSQL cluster %s reopened under %s in %d ms: started %s", name, directory,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), startedNodes));
    }

    /** The timeline of a stopped server's last checkpoint, from {@code pg_controldata}. */
    private static long timeline(LocalPostgresNode node, PostgresBinaries binaries, OsUser osUser) {
        try {
            Process process = new ProcessBuilder(osUser.wrap(List.of(binaries.path("pg_controldata"), "-D",
                    node.dataDirectory().toString()))).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(30, TimeUnit.SECONDS);
            return output.lines().filter(l -> l.startsWith("Latest checkpoint's TimeLineID:"))
                    .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).strip())).findFirst().orElse(0);
        } catch (IOException e) {
            throw new TestkitException("cannot run pg_controldata for " + node.name() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted", e);
        }
    }

    private LocalPostgresNode newNode(int index, PostgresBinaries binaries, OsUser osUser, Duration startTimeout) {
        String nodeName = name + "-" + index;
        Path nodeDir = osUser.createOwnedDirectory(directory.resolve(nodeName));
        int port = index <= ports.size() ? ports.get(index - 1) : io.regent.testkit.FreePorts.next();
        LocalPostgresNode node = new LocalPostgresNode(this, nodeName, port, nodeDir,
                binaries, osUser, startTimeout);
        nodes.add(node);
        return node;
    }

    private void initLeader(LocalPostgresNode leader, PostgresBinaries binaries, OsUser osUser,
            PostgresClusterBuilder spec) {
        Path pwfile = leader.nodeDirectory().resolve("pwfile");
        writeOwned(pwfile, superuser.password() + "\n", osUser);
        try {
            run(osUser.wrap(List.of(binaries.path("initdb"), "-D", leader.dataDirectory().toString(),
                    "-U", superuser.user(), "--pwfile=" + pwfile, "--auth-local=trust",
                    "--auth-host=scram-sha-256", "--data-checksums", "-E", "UTF8", "--no-locale")),
                    leader.nodeDirectory(), Map.of(), "initdb for " + leader.name());
        } finally {
            deleteQuietly(pwfile);
        }
        StringBuilder conf = new StringBuilder("""

                # --- Regent testkit: shared by every node (pg_basebackup copies this file) ---
                listen_addresses = '127.0.0.1'
                unix_socket_directories = ''
                wal_level = replica
                hot_standby = on
                wal_log_hints = on
                max_wal_senders = 10
                max_replication_slots = 10
                wal_keep_size = '256MB'
                max_connections = @MAX_CONNECTIONS@
                shared_buffers = '32MB'
                # segments as files in the data directory, not in /dev/shm: a killed server's are
                # deleted with its directory instead of piling up in memory
                dynamic_shared_memory_type = mmap
                # kill -9 of a server never loses what the kernel holds; only a machine crash would,
                # and tests do not crash the machine. Benchmarks turn it on: -Dregent.testkit.pg.fsync=on
                fsync = @FSYNC@
                logging_collector = off
                log_line_prefix = '%m [%p] %q%a '
                log_connections = off
                """.replace("@FSYNC@", "on".equals(System.getProperty("regent.testkit.pg.fsync")) ? "on" : "off")
                // benchmarks that open a connection per simulated node raise it
                .replace("@MAX_CONNECTIONS@", Integer.toString(Integer.getInteger("regent.testkit.pg.max-connections",
                        50))));
        spec.settings.forEach((key, value) -> conf.append(key).append(" = '").append(value.replace("'", "''"))
                .append("'\n"));
        conf.append("# node-specific settings (port, cluster_name) live here\ninclude_if_exists = 'regent-node.conf'\n");
        appendOwned(leader.dataDirectory().resolve("postgresql.conf"), conf.toString(), osUser);
        writeOwned(leader.dataDirectory().resolve("pg_hba.conf"), """
                # TYPE  DATABASE     USER        ADDRESS        METHOD
                local   all          all                        trust
                host    replication  replicator  127.0.0.1/32   scram-sha-256
                host    all          all         127.0.0.1/32   scram-sha-256
                """, osUser);
        leader.writeNodeConfig();
    }

    private void createRoles(LocalPostgresNode leader) {
        int version = ((Number) leader.queryValue("SELECT current_setting('server_version_num')::int")).intValue();
        List<String> statements = new ArrayList<>(List.of(
                "CREATE ROLE " + replicationUser.user() + " WITH REPLICATION LOGIN PASSWORD '"
                        + replicationUser.password().replace("'", "''") + "'",
                // DESIGN.md: the control-plane role is never a superuser
                "CREATE ROLE " + controlRole.user() + " WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '"
                        + controlRole.password() + "'",
                "GRANT pg_monitor TO " + controlRole.user(),
                "GRANT pg_signal_backend TO " + controlRole.user(),
                "GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO " + controlRole.user(),
                "GRANT EXECUTE ON FUNCTION pg_reload_conf() TO " + controlRole.user(),
                "GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) TO " + controlRole.user(),
                // pg_rewind's source role (a node agent rejoining an old leader)
                "GRANT EXECUTE ON FUNCTION pg_ls_dir(text, boolean, boolean), pg_stat_file(text, boolean), "
                        + "pg_read_binary_file(text), pg_read_binary_file(text, bigint, bigint, boolean) TO "
                        + controlRole.user()));
        if (version >= 150000) {
            statements.add("GRANT pg_checkpoint TO " + controlRole.user());
            statements.add("GRANT ALTER SYSTEM ON PARAMETER primary_conninfo, synchronous_standby_names, "
                    + "default_transaction_read_only TO " + controlRole.user());
        }
        for (String sql : statements) {
            leader.execute(sql);
        }
    }

    private void cloneFrom(LocalPostgresNode leader, LocalPostgresNode follower, PostgresBinaries binaries,
            OsUser osUser) {
        run(osUser.wrap(List.of(binaries.path("pg_basebackup"), "-h", leader.host(), "-p",
                        Integer.toString(leader.port()), "-U", replicationUser.user(), "-D",
                        follower.dataDirectory().toString(), "-X", "stream", "-c", "fast", "--no-password")),
                follower.nodeDirectory(), Map.of("PGPASSWORD", replicationUser.password()),
                "pg_basebackup of " + follower.name() + " from " + leader.name());
        writeOwned(follower.dataDirectory().resolve("standby.signal"), "", osUser);
        // the password in a passfile, as Regent's node agents write it: never in a setting or a statement
        Path passfile = follower.dataDirectory().resolve("regent.pgpass");
        writeOwned(passfile, "*:*:*:" + passfileField(replicationUser.user()) + ":"
                + passfileField(replicationUser.password()) + "\n", osUser);
        appendOwned(follower.dataDirectory().resolve("postgresql.auto.conf"),
                "primary_conninfo = " + configQuote(leader.primaryConninfo(passfile)) + "\n", osUser);
        follower.writeNodeConfig();
    }

    String replicationConninfo(String host, int port, Path passfile) {
        return "host=" + host + " port=" + port + " user=" + replicationUser.user() + " passfile='"
                + passfile.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** libpq's password file escapes ':' and '\' with a backslash. */
    private static String passfileField(String value) {
        return value.replace("\\", "\\\\").replace(":", "\\:");
    }

    /** A configuration file's quoted string, as ALTER SYSTEM writes it: quotes and backslashes doubled. */
    private static String configQuote(String value) {
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    static void run(List<String> command, Path workingDirectory, Map<String, String> environment, String what) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile())
                .redirectErrorStream(true);
        builder.environment().putAll(environment);
        try {
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new TestkitException(what + " did not finish within 120 s:\n" + output);
            }
            if (process.exitValue() != 0) {
                throw new TestkitException(what + " failed with exit code " + process.exitValue() + ":\n" + output);
            }
        } catch (IOException e) {
            throw new TestkitException("cannot run " + what + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted during " + what, e);
        }
    }

    static void writeOwned(Path file, String content, OsUser osUser) {
        write(file, content, false, osUser);
    }

    static void appendOwned(Path file, String content, OsUser osUser) {
        write(file, content, true, osUser);
    }

    private static void write(Path file, String content, boolean append, OsUser osUser) {
        try {
            if (append) {
                Files.writeString(file, content, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.APPEND);
            } else {
                Files.writeString(file, content, StandardCharsets.UTF_8);
            }
            if (OsUser.jvmIsRoot()) {
                var lookup = file.getFileSystem().getUserPrincipalLookupService();
                Files.setOwner(file, lookup.lookupPrincipalByName(osUser.name()));
            }
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new TestkitException("cannot write " + file, e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warning("cannot delete " + file + ": " + e.getMessage());
        }
    }


    @Override
    public String name() {
        return name;
    }

    @Override
    public List<PostgresNode> nodes() {
        return List.copyOf(nodes);
    }

    @Override
    public PostgresNode node(String nodeName) {
        return nodes.stream().filter(n -> n.name().equals(nodeName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node '" + nodeName + "' in cluster " + name
                        + "; nodes are " + nodes.stream().map(LocalPostgresNode::name).toList()));
    }

    @Override
    public synchronized PostgresNode addEmptyNode() {
        return newNode(nodes.size() + 1, binaries, osUser, startTimeout);
    }

    @Override
    public PostgresNode initialLeader() {
        return nodes.get(0);
    }

    @Override
    public List<PostgresNode> currentLeaders() {
        List<PostgresNode> leaders = new ArrayList<>();
        for (LocalPostgresNode node : nodes) {
            if (node.isRunning() && !node.isFrozen()) {
                try {
                    if (!node.isInRecovery()) {
                        leaders.add(node);
                    }
                } catch (TestkitException e) {
                    // unreachable: not a leader anybody can write to
                }
            }
        }
        return leaders;
    }

    @Override
    public Replication replication() {
        return replication;
    }

    @Override
    public Credentials superuser() {
        return superuser;
    }

    @Override
    public Credentials replicationUser() {
        return replicationUser;
    }

    @Override
    public Credentials controlRole() {
        return controlRole;
    }

    @Override
    public void awaitCaughtUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastState = "";
        while (System.nanoTime() < deadline) {
            List<PostgresNode> leaders = currentLeaders();
            if (leaders.size() == 1) {
                long target = leaders.get(0).walPositions().current();
                List<String> behind = new ArrayList<>();
                for (LocalPostgresNode node : nodes) {
                    if (node == leaders.get(0)) {
                        continue;
                    }
                    WalPositions positions = node.walPositions();
                    String status = node.walReceiverStatus().orElse("none");
                    if (!"streaming".equals(status) || positions.replayed() == null || positions.replayed() < target) {
                        behind.add(node.name() + " (receiver " + status + ", replayed "
                                + (positions.replayed() == null ? "-" : WalPositions.formatLsn(positions.replayed()))
                                + ")");
                    }
                }
                if (behind.isEmpty()) {
                    return;
                }
                lastState = "leader at " + WalPositions.formatLsn(target) + ", behind: " + behind;
            } else {
                lastState = "leaders: " + leaders.stream().map(PostgresNode::name).toList();
            }
            Testkit.sleep(50);
        }
        throw new TestkitException("cluster " + name + " did not catch up within " + timeout + ": " + lastState);
    }

    @Override
    public synchronized void close() {
        boolean keep = Testkit.get().persistent();
        for (LocalPostgresNode node : nodes) {
            try {
                if (keep) {
                    node.stop(); // a clean shutdown checkpoint: the next run starts without recovery
                }
                node.kill();
            } catch (RuntimeException e) {
                LOG.warning("cannot kill " + node.name() + ": " + e.getMessage());
            }
        }
        Testkit.killEverythingUnder(directory);
        nodes.forEach(node -> CrashLeftovers.release(node.dataDirectory()));
        Testkit.get().discard(directory);
        Testkit.get().untrack(this);
    }

    @Override
    public String toString() {
        return "PostgresCluster[" + name + ", " + nodes.size() + " nodes, " + directory + "]";
    }
}
