package io.regent.registry.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** Typed configuration of the registry ({@code regent.registry.*}). */
@ConfigMapping(prefix = "regent.registry")
public interface RegistryConfig {

    Credentials credentials();

    Outbox outbox();

    ClusterDefaults defaults();

    /** Encryption of the database credentials stored for each cluster. */
    interface Credentials {
        /**
         * The AES key (16, 24 or 32 bytes, base64), from a Kubernetes secret or the environment
         * ({@code REGENT_REGISTRY_CREDENTIALS_KEY}). Without it, storing credentials is refused.
         */
        Optional<String> key();

        /** Identifies the key in stored rows, so that keys can be rotated. */
        @WithDefault("k1")
        String keyId();
    }

    /** The relay that publishes outbox rows to Kafka. */
    interface Outbox {
        /** How often the relay looks for unsent rows when nothing woke it up. */
        @WithDefault("500ms")
        Duration pollInterval();

        /**
         * How long the relay waits after a commit woke it, so that the commits right behind it are
         * published in the same round: events leave up to this much later, and a write load costs
         * one read, one Kafka request and one update per batch instead of per event.
         */
        @WithDefault("5ms")
        Duration linger();

        /** Rows published per round. */
        @WithDefault("500")
        int batchSize();

        /** CloudEvents {@code source} of the registry's events. */
        @WithDefault("/regent/registry")
        String source();

        /**
         * How long one registry instance holds the relay (on the database's clock), renewed every round: a
         * relay that is paused or cut off longer than this is replaced, and fenced in Kafka by its successor.
         */
        @WithDefault("5s")
        Duration lease();

        /**
         * The Kafka transactional id every relay of one deployment shares: a new relay's producer fences the
         * previous one's, so a relay that lost its lease can publish nothing more. Unique per deployment.
         */
        @WithDefault("regent-registry-outbox")
        String transactionalId();

        /** Set to false to run without publishing (rows accumulate until a relay runs). */
        @WithDefault("true")
        boolean enabled();

        /**
         * How long a published row is kept (what was announced, and when, stays readable this long); the relay
         * deletes older ones. Unpublished rows are never deleted.
         */
        @WithDefault("7d")
        Duration retention();

        /** How often the relay deletes published rows past the retention. */
        @WithDefault("1m")
        Duration purgeInterval();

        /** Rows deleted per statement, so one purge never holds many row locks or one long transaction. */
        @WithDefault("1000")
        int purgeBatchSize();
    }

    TopologyViewConfig topologyView();

    /** The in-memory topology every read is served from. */
    interface TopologyViewConfig {
        /** Follow the topology topic for other registry instances' changes (off: this instance's only). */
        @WithDefault("true")
        boolean followTopic();

        /**
         * How long the broker may hold a fetch of the topic to fill it (up to 64 KiB): other
         * instances' changes reach this one's reads that much later at most, and under a write load
         * the follower fetches batches instead of one event per round trip. This instance's own
         * changes are in its reads before it answers, whatever this is.
         */
        @WithDefault("100ms")
        Duration fetchWait();

        /** Readiness fails when the feed has not completed a poll for this long (a broker outage is no stall). */
        @WithDefault("30s")
        Duration stalledAfter();
    }

    /** Failover policy of a cluster created without one. */
    interface ClusterDefaults {
        /** From each agent's first failed probe; with 1 s probes it rides out a 1 s leader stall. */
        @WithDefault("1500")
        int detectionWindowMillis();

        @WithDefault("2")
        int observerQuorum();

        /** 16 MiB. */
        @WithDefault("16777216")
        long maxLagOnFailoverBytes();
    }
}
