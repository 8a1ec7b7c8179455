package io.regent.testkit.postgres;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One PostgreSQL server of a {@link PostgresCluster}, with the faults later tests inject. */
public interface PostgresNode {

    /** Unique in the cluster; also its {@code cluster_name}, hence its WAL receiver's {@code application_name}. */
    String name();

    String host();

    int port();

    Path dataDirectory();

    /** JDBC URL of {@code database} on this node. */
    String jdbcUrl(String database);

    /** A connection as the superuser to database {@code postgres}, socket timeout 30 s. */
    Connection connect();

    /** A connection with the given credentials; every statement fails after {@code socketTimeout}. */
    Connection connect(Credentials credentials, String database, Duration socketTimeout);

    /** Runs a statement as superuser. */
    void execute(String sql);

    /** Runs a query as superuser; each row maps column label to value. */
    List<Map<String, Object>> query(String sql);

    /** The first column of the first row, or null when there is no row. */
    Object queryValue(String sql);

    /** {@code pg_is_in_recovery()}: true on a follower. */
    boolean isInRecovery();

    /** The timeline this node writes (leader) or receives (follower). */
    long timeline();

    WalPositions walPositions();

    /** The WAL receiver's status ({@code streaming}, {@code waiting} …); empty when no receiver runs. */
    Optional<String> walReceiverStatus();

    /** Kills the server and every process of it with SIGKILL, as a crash of its host would. */
    void kill();

    /** SIGSTOP of the server and its processes: connections stay open but nothing answers. */
    void freeze();

    void thaw();

    boolean isFrozen();

    /** Clean fast shutdown (SIGINT): sessions are ended, a checkpoint is written. */
    void stop();

    /** Starts the server again with the same data and port, and waits until it accepts connections. */
    void start();

    /**
     * As {@link #start()}, with extra environment variables for the server's processes (e.g. {@link
     * io.regent.testkit.SkewedClock#ahead} to set its clock wrong); a later {@link #start()} has none.
     */
    void start(Map<String, String> environment);

    /**
     * Starts the server again inside {@code namespace}, which must {@link io.regent.testkit.NetworkNamespace#expose
     * expose} its port (and {@link io.regent.testkit.NetworkNamespace#reach reach} what it connects to): to
     * everyone else it keeps its address, and a {@link io.regent.testkit.NetworkNamespace#cut cut} isolates it.
     */
    void startIn(io.regent.testkit.NetworkNamespace namespace);

    boolean isRunning();

    /** PID of the postmaster. */
    long pid();

    /** The server's log file. */
    Path logFile();
}
