package io.regent.testkit.mariadb;

import io.regent.testkit.FreePorts;
import io.regent.testkit.OsUser;
import io.regent.testkit.Testkit;
import io.regent.testkit.TestkitException;
import io.regent.testkit.postgres.Credentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * MariaDB servers from the Debian {@code mariadb-server} package, run as the {@code mysql} OS user
 * on loopback ports. One {@code mariadb-install-db} makes a template data directory that every node
 * copies (MariaDB has no server UUID, so copies of a fresh one are interchangeable). Facts behind
 * the settings: {@code docs/research/mariadb-replication.md}.
 */
final class LocalMariaDbCluster implements MariaDbCluster {

    private static final Logger LOG = Logger.getLogger(LocalMariaDbCluster.class.getName());
    private static final Duration INSTALL_TIMEOUT = Duration.ofSeconds(120);

    private final String name;
    private final Path directory;
    private final OsUser osUser = new OsUser(System.getProperty("regent.testkit.mariadb.os-user", "mysql"));
    private final List<LocalMariaDbNode> nodes = new ArrayList<>();
    private final Credentials superuser = new Credentials("regent_root", Testkit.randomSecret());
    private final Credentials replication = new Credentials("regent_repl", Testkit.randomSecret());
    private final Credentials monitor;
    private final Credentials control = new Credentials("regent_admin", Testkit.randomSecret());

    private final boolean semiSynchronous;
    private volatile boolean bootstrapped;

    private LocalMariaDbCluster(String name, Path directory, Credentials monitor, boolean semiSynchronous) {
        this.name = name;
        this.directory = directory;
        this.monitor = monitor == null ? new Credentials("regent", Testkit.randomSecret()) : monitor;
        this.semiSynchronous = semiSynchronous;
    }

    static MariaDbCluster start(String name, int size, Credentials monitor, boolean semiSynchronous) {
        if (size < 1) {
            throw new IllegalArgumentException("a cluster needs at least one node, not " + size);
        }
        Path mariadbd = MariaDbBinaries.server();
        Path installDb = MariaDbBinaries.installDb();
        LocalMariaDbCluster cluster = new LocalMariaDbCluster(name, Testkit.get().newDirectory("mariadb-" + name),
                monitor, semiSynchronous);
        Testkit.get().track(cluster);
        try {
            cluster.build(size, mariadbd, installDb);
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void build(int size, Path mariadbd, Path installDb) {
        Path template = osUser.createOwnedDirectory(directory.resolve("template"));
        run(List.of(installDb.toString(), "--no-defaults", "--user=" + osUser.name(),
                "--datadir=" + template.resolve("data"), "--auth-root-authentication-method=normal",
                "--skip-test-db", "--skip-name-resolve", "--innodb-buffer-pool-size=32M",
                "--innodb-log-file-size=16M"), template.resolve("install-db.log"));
        for (int i = 1; i <= size; i++) {
            Path nodeDirectory = osUser.createOwnedDirectory(directory.resolve(name + "-" + i));
            run(List.of("cp", "-a", template.resolve("data").toString(), nodeDirectory.resolve("data").toString()),
                    nodeDirectory.resolve("copy.log"));
            nodes.add(new LocalMariaDbNode(this, name + "-" + i, i, FreePorts.next(), nodeDirectory, mariadbd,
                    i == 1));
        }
        nodes.forEach(LocalMariaDbNode::startServer);
        LocalMariaDbNode leader = nodes.get(0);
        // users are created on the leader only: the followers replay its whole binlog from the start
        leader.executeAsRootWithoutPassword("""
                CREATE USER '%1$s'@'127.0.0.1' IDENTIFIED BY '%2$s';
                GRANT ALL PRIVILEGES ON *.* TO '%1$s'@'127.0.0.1' WITH GRANT OPTION;
                CREATE USER '%3$s'@'127.0.0.1' IDENTIFIED BY '%4$s';
                GRANT REPLICATION SLAVE ON *.* TO '%3$s'@'127.0.0.1';
                CREATE USER '%5$s'@'127.0.0.1' IDENTIFIED BY '%6$s';
                GRANT SLAVE MONITOR, BINLOG MONITOR, REPLICATION MASTER ADMIN, PROCESS ON *.* TO '%5$s'@'127.0.0.1';
                CREATE USER '%7$s'@'127.0.0.1' IDENTIFIED BY '%8$s';
                GRANT REPLICATION SLAVE ADMIN, RELOAD, READ_ONLY ADMIN, CONNECTION ADMIN, REPLICATION MASTER ADMIN,
                      SLAVE MONITOR, BINLOG MONITOR, PROCESS ON *.* TO '%7$s'@'127.0.0.1';
                CREATE DATABASE regent;
                CREATE TABLE regent.heartbeat (id INT PRIMARY KEY, ts TIMESTAMP(6) NOT NULL, writer INT NOT NULL)
                    ENGINE=InnoDB;
                GRANT INSERT, UPDATE, SELECT ON regent.heartbeat TO '%5$s'@'127.0.0.1';
                DROP USER IF EXISTS 'root'@'127.0.0.1';
                DROP USER IF EXISTS 'root'@'::1'""".formatted(superuser.user(), superuser.password(),
                replication.user(), replication.password(), monitor.user(), monitor.password(), control.user(),
                control.password()));
        for (LocalMariaDbNode follower : nodes.subList(1, nodes.size())) {
            // the follower's own root still has no password until the leader's users arrive
            follower.executeAsRootWithoutPassword("""
                    CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='%s', MASTER_PASSWORD='%s',
                        MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.5;
                    START SLAVE""".formatted(leader.port(), replication.user(), replication.password()));
        }
        awaitCaughtUp(Duration.ofSeconds(60));
        if (semiSynchronous) {
            // only now: with no replica connected the leader's first commits (the users) would wait forever
            leader.execute("SET GLOBAL rpl_semi_sync_master_wait_point = AFTER_SYNC");
            leader.execute("SET GLOBAL rpl_semi_sync_master_timeout = " + LocalMariaDbNode.SEMI_SYNC_TIMEOUT_MILLIS);
            leader.execute("SET GLOBAL rpl_semi_sync_master_enabled = ON");
            bootstrapped = true;
        }
    }

    /** Whether a writable node starts as a semi-synchronous leader (after the cluster was built). */
    boolean semiSynchronousLeaderOnStart() {
        return bootstrapped;
    }

    private static void run(List<String> command, Path log) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!process.waitFor(INSTALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new TestkitException(command.get(0) + " did not finish within " + INSTALL_TIMEOUT);
            }
            if (process.exitValue() != 0) {
                throw new TestkitException(String.join(" ", command) + " failed with exit code "
                        + process.exitValue() + ":\n" + Files.readString(log));
            }
        } catch (IOException e) {
            throw new TestkitException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted while running " + command.get(0), e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<MariaDbNode> nodes() {
        return List.copyOf(nodes);
    }

    @Override
    public MariaDbNode node(String nodeName) {
        return nodes.stream().filter(n -> n.name().equals(nodeName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + nodeName + " in " + name));
    }

    @Override
    public MariaDbNode initialLeader() {
        return nodes.get(0);
    }

    @Override
    public Credentials superuser() {
        return superuser;
    }

    @Override
    public boolean semiSynchronous() {
        return semiSynchronous;
    }

    @Override
    public Credentials replicationUser() {
        return replication;
    }

    @Override
    public Credentials monitorUser() {
        return monitor;
    }

    @Override
    public Credentials controlUser() {
        return control;
    }

    OsUser osUser() {
        return osUser;
    }

    @Override
    public void awaitCaughtUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastState = "not checked";
        while (System.nanoTime() < deadline) {
            try {
                String behind = behind();
                if (behind == null) {
                    return;
                }
                lastState = behind;
            } catch (TestkitException e) {
                // right after start a follower does not know the users yet: they arrive by replication
                lastState = e.getMessage();
            }
            Testkit.sleep(50);
        }
        throw new TestkitException("cluster " + name + " did not catch up within " + timeout + ": " + lastState);
    }

    /** What is not caught up yet, or null when every running follower applied the one leader's binlog. */
    private String behind() {
        List<LocalMariaDbNode> leaders = nodes.stream().filter(LocalMariaDbNode::isRunning)
                .filter(n -> !n.isFrozen() && !n.isReadOnly()).toList();
        if (leaders.size() != 1) {
            return "writable nodes: " + leaders.stream().map(MariaDbNode::name).toList();
        }
        String target = leaders.get(0).gtidBinlogPos();
        List<String> behind = new ArrayList<>();
        for (LocalMariaDbNode node : nodes) {
            if (node != leaders.get(0) && node.isRunning() && !node.isFrozen()
                    && !Objects.equals(node.gtidSlavePos(), target)) {
                behind.add(node.name() + " at '" + node.gtidSlavePos() + "'");
            }
        }
        return behind.isEmpty() ? null : "leader at '" + target + "', behind: " + behind;
    }

    @Override
    public synchronized void close() {
        for (LocalMariaDbNode node : nodes) {
            try {
                node.kill();
            } catch (RuntimeException e) {
                LOG.warning("cannot kill " + node.name() + ": " + e.getMessage());
            }
        }
        Testkit.killEverythingUnder(directory);
        Testkit.get().discard(directory);
        Testkit.get().untrack(this);
    }

    @Override
    public String toString() {
        return "MariaDbCluster[" + name + ", " + nodes.size() + " nodes, " + directory + "]";
    }
}
