package io.regent.testkit.mariadb;

import io.regent.testkit.ServerProcess;
import io.regent.testkit.Sql;
import io.regent.testkit.Testkit;
import io.regent.testkit.TestkitException;
import io.regent.testkit.postgres.Credentials;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** A MariaDB server run as a local process. */
final class LocalMariaDbNode implements MariaDbNode {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    /** About 50 days: in effect never, so a commit no replica acknowledged is never acknowledged to its client. */
    static final long SEMI_SYNC_TIMEOUT_MILLIS = 4_294_967_295L;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Credentials ROOT_WITHOUT_PASSWORD = new Credentials("root", "");

    private final LocalMariaDbCluster cluster;
    private final String name;
    private final int serverId;
    private final int port;
    private final Path nodeDirectory;
    private final Path mariadbd;
    /** Started writable the next time: the initial leader, and a leader that was stopped while writable. */
    private volatile boolean writable;
    /** Killed: the next start rolls back what it binlogged but no replica acknowledged (semi-sync). */
    private volatile boolean crashed;
    private volatile ServerProcess process;

    LocalMariaDbNode(LocalMariaDbCluster cluster, String name, int serverId, int port, Path nodeDirectory,
            Path mariadbd, boolean writable) {
        this.cluster = cluster;
        this.name = name;
        this.serverId = serverId;
        this.port = port;
        this.nodeDirectory = nodeDirectory;
        this.mariadbd = mariadbd;
        this.writable = writable;
    }

    void startServer() {
        List<String> command = new ArrayList<>(List.of(mariadbd.toString(), "--no-defaults", "--user=" + cluster.osUser().name(),
                "--datadir=" + dataDirectory(), "--port=" + port, "--bind-address=127.0.0.1",
                "--socket=" + nodeDirectory.resolve("mysqld.sock"), "--pid-file=" + nodeDirectory.resolve("mysqld.pid"),
                "--server-id=" + serverId, "--gtid-domain-id=0", "--report-host=127.0.0.1", "--report-port=" + port,
                "--log-bin=" + dataDirectory().resolve("binlog"), "--log-bin-index=" + dataDirectory().resolve("binlog.index"),
                "--relay-log=" + dataDirectory().resolve("relay-bin"),
                "--relay-log-index=" + dataDirectory().resolve("relay-bin.index"),
                "--log-slave-updates", "--binlog-format=ROW", "--gtid-strict-mode=ON", "--skip-name-resolve",
                // a restarted server must not take writes until someone says so (the leader's own restart too)
                "--read-only=" + (writable ? "OFF" : "ON"),
                // notice a dead or frozen leader in seconds, not the default minute
                "--slave-net-timeout=4",
                "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=2",
                "--sync-binlog=0", "--performance-schema=OFF", "--max-connections=200"));
        if (cluster.semiSynchronous()) {
            // every node acknowledges as a replica; only the leader waits, never falling back to
            // asynchronous (as PostgreSQL's synchronous replication); a crashed leader comes back
            // without the commits no replica acknowledged (they would be errant after a failover)
            command.add("--rpl-semi-sync-slave-enabled=ON");
            if (writable && cluster.semiSynchronousLeaderOnStart()) {
                command.addAll(List.of("--rpl-semi-sync-master-enabled=ON", "--rpl-semi-sync-master-wait-point=AFTER_SYNC",
                        "--rpl-semi-sync-master-timeout=" + SEMI_SYNC_TIMEOUT_MILLIS));
            }
            if (crashed) {
                command.add("--init-rpl-role=SLAVE");
            }
        }
        crashed = false;
        Path log = Testkit.get().logFile(nodeDirectory.resolve("mariadbd.log"), name);
        process = ServerProcess.start("MariaDB " + name, command, nodeDirectory, log, Map.of());
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new TestkitException("MariaDB " + name + " exited while starting:\n" + process.logTail(30));
            }
            for (Credentials credentials : List.of(cluster.superuser(), ROOT_WITHOUT_PASSWORD)) {
                try (Connection connection = open(credentials, Duration.ofSeconds(5))) {
                    return;
                } catch (SQLException e) {
                    last = e;
                }
            }
            Testkit.sleep(100);
        }
        throw new TestkitException("MariaDB " + name + " did not accept connections within " + START_TIMEOUT + ": "
                + (last == null ? "" : last.getMessage()) + "\n" + process.logTail(30));
    }

    /** Before the leader's users have replicated here, only root without a password can log in. */
    void executeAsRootWithoutPassword(String statements) {
        try (Connection connection = open(ROOT_WITHOUT_PASSWORD, Duration.ofSeconds(30));
             Statement statement = connection.createStatement()) {
            for (String sql : statements.split(";\\s*\\n")) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new TestkitException("on " + name + " as root: " + e.getMessage(), e);
        }
    }

    private Connection open(Credentials credentials, Duration socketTimeout) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", credentials.user());
        props.setProperty("password", credentials.password());
        props.setProperty("connectTimeout", "5000");
        props.setProperty("socketTimeout", Long.toString(socketTimeout.toMillis()));
        return DriverManager.getConnection(jdbcUrl(), props);
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
    public int serverId() {
        return serverId;
    }

    @Override
    public Path dataDirectory() {
        return nodeDirectory.resolve("data");
    }

    @Override
    public String jdbcUrl() {
        return "jdbc:mariadb://" + host() + ":" + port + "/";
    }

    @Override
    public Connection connect() {
        return connect(cluster.superuser());
    }

    @Override
    public Connection connect(Credentials credentials) {
        try {
            return open(credentials, Duration.ofSeconds(30));
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
    public boolean isReadOnly() {
        return Long.valueOf(1).equals(((Number) queryValue("SELECT @@read_only")).longValue());
    }

    @Override
    public String gtidBinlogPos() {
        return (String) queryValue("SELECT @@gtid_binlog_pos");
    }

    @Override
    public String gtidSlavePos() {
        return (String) queryValue("SELECT @@gtid_slave_pos");
    }

    @Override
    public boolean isReplicating() {
        List<Map<String, Object>> status = query("SHOW SLAVE STATUS");
        return !status.isEmpty() && "Yes".equals(status.get(0).get("Slave_IO_Running"))
                && "Yes".equals(status.get(0).get("Slave_SQL_Running"));
    }

    @Override
    public void kill() {
        ServerProcess current = process;
        if (current != null) {
            writable = false; // a crashed leader comes back read-only, as a real one must
            crashed = true;
            current.kill();
        }
    }

    @Override
    public void freeze() {
        requireProcess().freeze();
    }

    @Override
    public void thaw() {
        requireProcess().thaw();
    }

    @Override
    public boolean isFrozen() {
        ServerProcess current = process;
        return current != null && current.isAlive() && current.isFrozen();
    }

    @Override
    public void stop() {
        ServerProcess current = requireProcess();
        if (current.isAlive()) {
            if (current.isFrozen()) {
                current.thaw(); // a stopped process cannot shut down
            }
            writable = !isReadOnly();
            current.stop("TERM", STOP_TIMEOUT);
        }
    }

    @Override
    public void start() {
        if (isRunning()) {
            throw new TestkitException(name + " is already running (pid " + process.pid() + ")");
        }
        startServer();
    }

    @Override
    public boolean isRunning() {
        ServerProcess current = process;
        return current != null && current.isAlive();
    }

    @Override
    public long pid() {
        return requireProcess().pid();
    }

    @Override
    public Path logFile() {
        return requireProcess().logFile();
    }

    private ServerProcess requireProcess() {
        ServerProcess current = process;
        if (current == null) {
            throw new TestkitException(name + " was never started");
        }
        return current;
    }

    @Override
    public String toString() {
        return "MariaDbNode[" + name + " 127.0.0.1:" + port + "]";
    }
}
