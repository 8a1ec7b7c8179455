package io.regent.testkit.mariadb;

import io.regent.testkit.postgres.Credentials;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.Map;

/** One MariaDB server of a {@link MariaDbCluster}, with the fault operations tests need. */
public interface MariaDbNode {

    String name();

    String host();

    int port();

    /** The server id its binlog events carry. */
    int serverId();

    Path dataDirectory();

    String jdbcUrl();

    /** A new connection as the cluster's superuser. */
    Connection connect();

    Connection connect(Credentials credentials);

    void execute(String sql);

    List<Map<String, Object>> query(String sql);

    Object queryValue(String sql);

    boolean isReadOnly();

    /** {@code @@gtid_binlog_pos}: the last transaction of each domain in its binlog. */
    String gtidBinlogPos();

    /** {@code @@gtid_slave_pos}: the last transaction of each domain its replica threads applied. */
    String gtidSlavePos();

    /** Whether its replica IO and SQL threads both run (false on a leader). */
    boolean isReplicating();

    /** SIGKILL: a crash. */
    void kill();

    /** SIGSTOP: it keeps its sockets but answers nothing. */
    void freeze();

    void thaw();

    boolean isFrozen();

    /** A clean shutdown (SIGTERM). */
    void stop();

    /**
     * Starts the server again on its data directory, read-only unless it was the writable leader
     * when it was stopped cleanly (a killed leader comes back read-only); a follower resumes
     * replicating by itself.
     */
    void start();

    boolean isRunning();

    long pid();

    Path logFile();
}
