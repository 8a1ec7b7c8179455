package io.regent.failover.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Typed settings of the failover-service ({@code regent.failover.*}); defaults are the documented ones. */
@ConfigMapping(prefix = "regent.failover")
public interface FailoverConfig {

    /** Names this instance in logs, operations and database sessions. */
    String instanceId();

    /** How often every owned cluster is decided on, besides on each observation. */
    @WithDefault("100ms")
    Duration tick();

    /** An observation older than this no longer counts: its agent is presumed gone. */
    @WithDefault("3s")
    Duration observationMaxAge();

    /** No automatic failover of a cluster sooner than this after its previous one (anti-flapping). */
    @WithDefault("5m")
    Duration minFailoverInterval();

    /**
     * Added to the old leader's lease before a failover promotes another node: the lease is measured on the
     * registry database's clock, its holder counts it from before it asked, and fences its server before it ends.
     */
    @WithDefault("500ms")
    Duration leaseMargin();

    /** Budget of one engine action (fence, promote, re-point) on one node. */
    @WithDefault("10s")
    Duration actionTimeout();

    /** How long a switchover waits for its target to replay what the fenced leader acknowledged before it gives up and unfences the leader. */
    @WithDefault("30s")
    Duration switchoverCatchUpTimeout();

    /** Budget of a node agent's rejoin (a rewind takes seconds; a rebuild falls back to copying the database). */
    @WithDefault("10m")
    Duration rejoinTimeout();

    /** A follower no agent has reached for this long is restarted, rewound or rebuilt by its own agent. */
    @WithDefault("10s")
    Duration followerRepairAfter();

    /** After a failed rejoin, the next attempt for the cluster waits this long. */
    @WithDefault("30s")
    Duration rejoinRetryAfter();

    /** On taking a cluster over, observations this recent are replayed to rebuild what agents saw. */
    @WithDefault("30s")
    Duration healthReplay();

    Commands commands();

    Agents agents();

    /** Readiness fails when a Kafka consumer loop of this instance has not completed a poll for this long. */
    @WithDefault("30s")
    Duration consumerStalledAfter();

    /** Who may ask for a switchover, failover or maintenance (docs/security.md). */
    interface Commands {
        /**
         * Base64 X.509 Ed25519 public keys of the gateways' command signing keys ({@code REGENT_COMMAND_VERIFY_KEYS},
         * comma-separated; two during a rotation). A command that none of them verifies is dropped and counted.
         */
        Optional<List<String>> verifyKeys();

        /** A signed command older than this (or this far in the future: clocks differ) is dropped. */
        @WithDefault("10m")
        Duration maxAge();
    }

    /** Whose observations count toward the failover quorum. */
    interface Agents {
        /**
         * The monitor agents' ids ({@code REGENT_KNOWN_AGENTS}, comma-separated); an observation from any other id
         * is dropped and counted. {@code *} trusts every id (only where Kafka's ACLs are the whole defence).
         */
        Optional<List<String>> known();
    }

    /** Kafka consumer group shared by all instances: one instance owns each cluster's partition. */
    @WithDefault("regent-failover")
    String consumerGroup();

    Registry registry();

    /**
     * The shared database login ("default"): used for a cluster only when the registry stores no login of its own
     * and {@code cluster-logins.fallback-to-default} allows it.
     */
    Map<String, Credentials> credentials();

    ClusterLoginsConfig clusterLogins();

    /** Each cluster's own database login, fetched from the registry (docs/security.md). */
    interface ClusterLoginsConfig {
        /** A fetched login is used this long, then fetched again: a rotated password takes effect without a restart. */
        @WithDefault("60s")
        Duration refresh();

        /** Whether a cluster with no stored login is reached with the default login; false: it is not acted on. */
        @WithDefault("true")
        boolean fallbackToDefault();
    }

    /** MariaDB clusters. */
    Mariadb mariadb();

    /**
     * How long a claim on an operation holds: no other instance may take the operation over before it
     * runs out (measured on the registry database's clock), and this instance starts no step on a
     * database once it may have run out (measured on its own monotonic clock from before it asked, less
     * {@link #ownershipMargin()}). Each step renews it. As long as the Kafka consumer's session timeout
     * (6 s), so an instance that stops heartbeating loses both at about the same time.
     */
    @WithDefault("6s")
    Duration ownershipLease();

    /**
     * The part of each lease this instance never uses: time for an action to reach its database node
     * and for the clocks' rates to differ. A step may start until lease - margin after its check was sent.
     */
    @WithDefault("1s")
    Duration ownershipMargin();

    interface Registry {
        /** Bearer token of this service's identity ({@code regent-service} role). */
        Optional<String> token();
    }

    interface Mariadb {
        /**
         * The user a rejoined old leader replicates as ({@code REPLICATION SLAVE}); its promotion
         * reset the one it had. Unset: rejoining a replaced MariaDB leader fails and says so.
         * Followers re-pointed at a new leader keep their own.
         */
        Optional<String> replicationUser();

        Optional<String> replicationPassword();
    }

    interface Credentials {
        String username();

        Optional<String> password();
    }
}
