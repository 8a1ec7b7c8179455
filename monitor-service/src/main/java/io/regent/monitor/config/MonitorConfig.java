package io.regent.monitor.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Typed configuration of a monitor agent ({@code regent.monitor.*}). */
@ConfigMapping(prefix = "regent.monitor")
public interface MonitorConfig {

    /** This agent's id; quorum counts distinct ids, so every agent needs its own. */
    String agentId();

    /** Failure domain the agent runs in. */
    @WithDefault("default")
    String zone();

    /** Readiness fails when the topology feed has not completed a poll for this long. */
    @WithDefault("30s")
    Duration consumerStalledAfter();

    /** How often every node is probed. */
    @WithDefault("1s")
    Duration probeInterval();

    /** Budget of one probe, connection included; must be shorter than the interval. */
    @WithDefault("800ms")
    Duration probeTimeout();

    /**
     * After a node's first refused probe (nothing listens on its port) it is probed again this soon rather than a
     * whole interval later: a failure counts only after two probes (DESIGN.md), and a dead server's second
     * refusal now comes 200 ms after its first. One recheck per failure run; timeouts are not rechecked (that
     * probe already took the timeout). 0 turns it off.
     */
    @WithDefault("200ms")
    Duration refusedRecheck();

    /**
     * Spread each round's probes over the interval (a fixed offset per node, so each node is still
     * probed once per interval), instead of starting them all at the tick.
     */
    @WithDefault("true")
    boolean spreadProbes();

    /** Probes running at once; a frozen node holds one for at most the probe timeout. */
    @WithDefault("64")
    int probeThreads();

    /** Emit a heartbeat WAL record when probing a writable leader (see DESIGN.md). */
    @WithDefault("true")
    boolean heartbeat();

    Buffer buffer();

    Registry registry();

    /** The routing checks this agent answers for its own node (node mode): {@code /leader}, {@code /follower} … */
    Routing routing();

    interface Routing {
        /** A check passes only on a probe of the local server this recent (the agent's monotonic clock). */
        @WithDefault("3s")
        Duration maxObservationAge();

        /**
         * A follower whose WAL receiver heard nothing from the leader for longer is out of the read pool: it may be
         * cut off and stale. The agents' heartbeats reach it every second; with {@code heartbeat=false} on an idle
         * leader, raise it above half the leader's {@code wal_sender_timeout}.
         */
        @WithDefault("10s")
        Duration maxStreamSilence();

        /** The follower check's limit on PostgreSQL when the load balancer names none ({@code max-lag-bytes}). */
        @WithDefault("16777216")
        long defaultMaxLagBytes();

        /** The same on MariaDB, in transactions ({@code max-lag-transactions}). */
        @WithDefault("1000")
        long defaultMaxLagTransactions();
    }

    /** Node mode: the database node this agent runs next to, and may stop, start, rewind and rebuild. */
    Node node();

    /**
     * The shared login for the nodes ("default"): used for a cluster only when the registry stores no login of its
     * own and {@code cluster-logins.fallback-to-default} allows it.
     * Passwords are never logged.
     */
    Map<String, NodeCredentials> credentials();

    ClusterLoginsConfig clusterLogins();

    /** Each cluster's own database login, fetched from the registry (docs/security.md). */
    interface ClusterLoginsConfig {
        /** A fetched login is used this long, then fetched again in the background: rotation without a restart. */
        @WithDefault("60s")
        Duration refresh();

        /** Whether a cluster with no stored login is probed with the default login; false: it is not probed. */
        @WithDefault("true")
        boolean fallbackToDefault();
    }

    interface Registry {
        /** Load every cluster's topology over REST at start (the topic alone would also do, while it retains it). */
        @WithDefault("true")
        boolean initialLoad();

        /** Bearer token of the agent's service identity ({@code regent-service} role). */
        java.util.Optional<String> token();
    }

    interface Buffer {
        /** Observations kept while Kafka is unreachable; beyond it the oldest are dropped and counted. */
        @WithDefault("10000")
        int capacity();

        /** Observations handed to the Kafka producer and not yet acknowledged. */
        @WithDefault("2000")
        int maxInFlight();

        /** No acknowledgement for this long while observations are out: Kafka is away, the buffer takes the backlog. */
        @WithDefault("1s")
        Duration stallAfter();
    }

    interface Node {
        /** The cluster of the local node; node mode is on when this and {@code name} are set. */
        Optional<String> clusterId();

        /** The local node's name in the registry. */
        Optional<String> name();

        /** Its {@code PGDATA}. */
        Optional<Path> dataDirectory();

        /** The PostgreSQL server binaries ({@code pg_ctl}, {@code pg_rewind}, {@code pg_basebackup}). */
        @WithDefault("/usr/lib/postgresql/15/bin")
        Path binDirectory();

        /** The OS user owning the data directory; the tools run as it when the agent runs as root. */
        Optional<String> osUser();

        /**
         * Settings only this node has (e.g. {@code port}, {@code cluster_name}), written again after a
         * rewind or rebuild copied the leader's configuration. {@code port} and {@code cluster_name}
         * default to the node's registered port and its name.
         */
        Map<String, String> settings();

        /** The server's log when the agent starts it; default {@code <data-directory>.log} beside it. */
        Optional<Path> logFile();

        /** The role the node streams as from its leader (also used by pg_basebackup). */
        @WithDefault("replicator")
        String replicationUser();

        Optional<String> replicationPassword();

        /** How the failover-service reaches this agent's action endpoint; default http://<host>:<http port>. */
        Optional<String> advertisedUrl();

        /**
         * Whether the agent starts its stopped server when it starts itself (containers, where the agent is the
         * node's supervisor): a standby at once, a server that last ran as the leader only while the registry
         * names it the leader and grants it the leader lease; anything else is left to the failover-service
         * (rejoin, build). Off where something else starts the server (the demo, systemd).
         */
        @WithDefault("false")
        boolean startOnBoot();

        /** Budget of one action (a rebuild copies the whole database). */
        @WithDefault("10m")
        Duration actionTimeout();

        /** After a start, how long the node may take to stream from its leader. */
        @WithDefault("60s")
        Duration streamingTimeout();

        /**
         * The leader lease this agent holds with the registry while its node leads (docs/architecture.md,
         * "Leader lease"): no failover promotes another node until it has run out, and the agent fences its
         * server before then when it cannot renew it. 0 turns it off (a failover then waits for no lease).
         */
        @WithDefault("5s")
        Duration leaderLease();

        /** How often the leader lease is renewed. */
        @WithDefault("1s")
        Duration leaseRenewInterval();

        /**
         * How often the agent looks at its server's main process (pid file and process table, no connection)
         * between probes: when it is gone the agent probes its node and gives the leader lease up at once, so a
         * killed or crashed server is reported - proven dead - within about this long. 0 turns the watch off.
         */
        @WithDefault("100ms")
        Duration serverWatchInterval();

        /**
         * How long before its lease ends an agent that could not renew it fences its server: the budget of the
         * fence (SQL with a short timeout, then SIGKILL of a server that does not answer).
         */
        @WithDefault("1500ms")
        Duration leaseFenceAhead();

        /**
         * Failsafe: a leader that cannot renew its lease stays writable only while every follower streams from
         * it and replied within this (by the leader's clock). Keep it below {@code leader-lease -
         * lease-fence-ahead - lease-renew-interval} so that a follower cut off right after a renewal is seen as
         * cut off when the fence is due.
         */
        @WithDefault("2s")
        Duration failsafeReplyWithin();
    }

    interface NodeCredentials {
        String username();

        /** Absent for trust authentication. */
        java.util.Optional<String> password();

        @WithDefault("postgres")
        String database();
    }
}
