package io.regent.testkit.postgres;

import io.regent.testkit.OsUser;
import io.regent.testkit.ServerProcess;
import io.regent.testkit.Sql;
import io.regent.testkit.Signals;
import io.regent.testkit.Testkit;
import io.regent.testkit.TestkitException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;

/** A PostgreSQL server run as a local process. */
final class LocalPostgresNode implements PostgresNode {

    private static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    private final LocalPostgresCluster cluster;
    private final String name;
    private final int port;
    private final Path nodeDirectory;
    private final PostgresBinaries binaries;
    private final OsUser osUser;
    private final Duration startTimeout;
    private volatile ServerProcess process;

    LocalPostgresNode(LocalPostgresCluster cluster, String name, int port, Path nodeDirectory,
            PostgresBinaries binaries, OsUser osUser, Duration startTimeout) {
        this.cluster = cluster;
        this.name = name;
        this.port = port;
        this.nodeDirectory = nodeDirectory;
        this.binaries = binaries;
        this.osUser = osUser;
        this.startTimeout = startTimeout;
    }

    Path nodeDirectory() {
        return nodeDirectory;
    }

    /** Whether this node's data directory is a standby's ({@code standby.signal}). */
    boolean configuredAsStandby() {
        return Files.exists(dataDirectory().resolve("standby.signal"));
    }

    /** Settings only this node has: pg_basebackup and pg_rewind copy the leader's, so they are rewritten. */
    void writeNodeConfig() {
        LocalPostgresCluster.writeOwned(dataDirectory().resolve("regent-node.conf"), """
                # written by the Regent testkit for node %s
                port = %d
                cluster_name = '%s'
                """.formatted(name, port, name), osUser);
    }

    String primaryConninfo(Path passfile) {
        return cluster.replicationConninfo(host(), port, passfile);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String host() {
        return "127.0.0.1";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public Path dataDirectory() {
        return nodeDirectory.resolve("data");
    }

    @Override
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port + "/" + database;
    }

    @Override
    public Connection connect() {
        return connect(cluster.superuser(), "postgres", DEFAULT_SOCKET_TIMEOUT);
    }

    @Override
    public Connection connect(Credentials credentials, String database, Duration socketTimeout) {
        Properties props = new Properties();
        props.setProperty("user", credentials.user());
        props.setProperty("password", credentials.password());
        props.setProperty("connectTimeout", "5");
        props.setProperty("loginTimeout", "10");
        props.setProperty("socketTimeout", Long.toString(Math.max(1, socketTimeout.toSeconds())));
        props.setProperty("ApplicationName", "regent-testkit");
        try {
            return DriverManager.getConnection(jdbcUrl(database), props);
        } catch (SQLException e) {
            throw new TestkitException("cannot connect to " + name + " (" + host() + ":" + port + ") as "
                    + credentials.user() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void execute(String sql) {
        Sql.execute(connect(), name, sql);
    }

    @Override
    public List<Map<String, Object>> query(String sql) {
        return Sql.query(connect(), name, sql);
    }

    @Override
    public Object queryValue(String sql) {
        return Sql.firstValue(query(sql));
    }

    @Override
    public boolean isInRecovery() {
        return Boolean.TRUE.equals(queryValue("SELECT pg_is_in_recovery()"));
    }

    @Override
    public long timeline() {
        if (!isInRecovery()) {
            String walFile = (String) queryValue("SELECT pg_walfile_name(pg_current_wal_lsn())");
            return Long.parseLong(walFile.substring(0, 8), 16);
        }
        Object received = queryValue("SELECT received_tli FROM pg_stat_wal_receiver");
        if (received != null) {
            return ((Number) received).longValue();
        }
        return ((Number) queryValue("SELECT timeline_id FROM pg_control_checkpoint()")).longValue();
    }

    @Override
    public WalPositions walPositions() {
        Map<String, Object> row = query("""
                SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS current,
                       pg_last_wal_receive_lsn()::text AS received,
                       pg_last_wal_replay_lsn()::text AS replayed""").get(0);
        return new WalPositions(WalPositions.parseLsn((String) row.get("current")),
                WalPositions.parseLsn((String) row.get("received")),
                WalPositions.parseLsn((String) row.get("replayed")));
    }

    @Override
    public Optional<String> walReceiverStatus() {
        return Optional.ofNullable((String) queryValue("SELECT status FROM pg_stat_wal_receiver"));
    }

    @Override
    public synchronized void start() {
        start(Map.of());
    }

    @Override
    public synchronized void start(Map<String, String> environment) {
        start(environment, command -> command);
    }

    @Override
    public synchronized void startIn(io.regent.testkit.NetworkNamespace namespace) {
        start(Map.of(), namespace::wrap);
    }

    private void start(Map<String, String> environment,
            java.util.function.UnaryOperator<List<String>> launcher) {
        if (isRunning()) {
            throw new IllegalStateException(name + " is already running");
        }
        // the environment is set after the switch to the OS user: a preloaded library (libfaketime) must
        // start in the server, not in the root-owned wrappers whose resources the server could not open
        List<String> command = new java.util.ArrayList<>();
        if (!environment.isEmpty()) {
            command.add("env");
            environment.forEach((key, value) -> command.add(key + "=" + value));
        }
        command.addAll(List.of(binaries.path("postgres"), "-D", dataDirectory().toString()));
        process = ServerProcess.start("PostgreSQL " + name, launcher.apply(osUser.wrap(command)), nodeDirectory,
                logFile(), Map.of());
        awaitAcceptingConnections();
    }

    private void awaitAcceptingConnections() {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        String lastError = "";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new TestkitException("PostgreSQL " + name + " exited during start-up; log "
                        + process.logFile() + ":\n" + process.logTail(30));
            }
            try (Connection ignored = connect(cluster.superuser(), "postgres", Duration.ofSeconds(5))) {
                return;
            } catch (TestkitException | SQLException e) {
                lastError = e.getMessage();
            }
            Testkit.sleep(50);
        }
        throw new TestkitException("PostgreSQL " + name + " did not accept connections within " + startTimeout
                + " (last error: " + lastError + "); log " + process.logFile() + ":\n" + process.logTail(30));
    }

    @Override
    public synchronized void stop() {
        OptionalLong adopted = adoptedPid();
        if (adopted.isPresent()) {
            Signals.send("INT", adopted.getAsLong());
            long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
            while (adoptedPid().isPresent() && System.nanoTime() < deadline) {
                Testkit.sleep(50);
            }
            Testkit.killEverythingUnder(nodeDirectory);
            return;
        }
        if (process != null) {
            process.stop("INT", STOP_TIMEOUT);
        }
    }

    @Override
    public synchronized void kill() {
        if (adoptedPid().isPresent()) {
            Testkit.killEverythingUnder(nodeDirectory); // the postmaster and its children at once: a crash
            return;
        }
        if (process != null) {
            process.kill();
        }
    }

    /**
     * The postmaster of a server someone else started on this node's data directory (a node agent
     * with pg_ctl), from {@code postmaster.pid}, while it is alive; empty when the testkit's own
     * process runs or nothing does. Such a server counts as this node's for every fault.
     */
    private OptionalLong adoptedPid() {
        ServerProcess current = process;
        if (current != null && current.isAlive()) {
            return OptionalLong.empty();
        }
        try {
            List<String> lines = Files.readAllLines(dataDirectory().resolve("postmaster.pid"));
            long pid = Long.parseLong(lines.get(0).strip());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isPresent() ? OptionalLong.of(pid)
                    : OptionalLong.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public void freeze() {
        requireRunning().freeze();
    }

    @Override
    public void thaw() {
        requireRunning().thaw();
    }

    @Override
    public boolean isFrozen() {
        ServerProcess current = process;
        return current != null && current.isAlive() && current.isFrozen();
    }

    @Override
    public boolean isRunning() {
        ServerProcess current = process;
        return (current != null && current.isAlive()) || adoptedPid().isPresent();
    }

    @Override
    public long pid() {
        OptionalLong adopted = adoptedPid();
        return adopted.isPresent() ? adopted.getAsLong() : requireRunning().pid();
    }

    @Override
    public Path logFile() {
        return Testkit.get().logFile(nodeDirectory.resolve("postgres.log"), name);
    }

    private ServerProcess requireRunning() {
        ServerProcess current = process;
        if (current == null || !current.isAlive()) {
            throw new IllegalStateException(name + " is not running");
        }
        return current;
    }

    @Override
    public String toString() {
        return "PostgresNode[" + name + " " + host() + ":" + port + "]";
    }
}
