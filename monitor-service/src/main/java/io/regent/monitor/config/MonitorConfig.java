package io.regent.monitor.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Map;

/** Typed configuration of a monitor agent ({@code regent.monitor.*}). */
@ConfigMapping(prefix = "regent.monitor")
public interface MonitorConfig {

    /** This agent's id; quorum counts distinct ids, so every agent needs its own. */
    String agentId();

    /** Failure domain the agent runs in. */
    @WithDefault("default")
    String zone();

    /** How often every node is probed. */
    @WithDefault("1s")
    Duration probeInterval();

    /** Budget of one probe, connection included; must be shorter than the interval. */
    @WithDefault("800ms")
    Duration probeTimeout();

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

    /**
     * Credentials for the nodes by name. Today every cluster uses {@code default} (topology snapshots
     * do not carry a cluster's credentialsRef); the map leaves room for per-cluster references.
     * Passwords are never logged.
     */
    Map<String, NodeCredentials> credentials();

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
    }

    interface NodeCredentials {
        String username();

        /** Absent for trust authentication. */
        java.util.Optional<String> password();

        @WithDefault("postgres")
        String database();
    }
}
