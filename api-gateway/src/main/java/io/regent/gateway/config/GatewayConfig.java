package io.regent.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Typed configuration of the api-gateway ({@code regent.gateway.*}). */
@ConfigMapping(prefix = "regent.gateway")
public interface GatewayConfig {

    /** Names this instance in Kafka client ids. */
    @WithDefault("gateway-1")
    String instanceId();

    /**
     * The public client of the realm that {@code regentctl} signs people in with (device authorization grant),
     * named to it by {@code GET /api/v1/sign-in}.
     */
    @WithDefault("regentctl")
    String cliClientId();

    Routing routing();

    Feed feed();

    Commands commands();

    Consumers consumers();

    Agents agents();

    interface Agents {
        /**
         * The monitor agents whose observations the routing checks and the dashboard use ({@code REGENT_KNOWN_AGENTS},
         * comma-separated); any other id is skipped and counted. Unset or {@code *}: every agent id (Kafka's ACLs
         * still keep everyone but agents off the topic).
         */
        Optional<List<String>> known();
    }

    interface Commands {
        /**
         * The Ed25519 private key (Base64 PKCS#8) with which this gateway signs the commands it accepts
         * ({@code REGENT_COMMAND_SIGNING_KEY}); the failover-service acts only on commands its public key verifies.
         * Without it the gateway refuses commands with 503.
         */
        Optional<String> signingKey();
    }

    interface Consumers {
        /** Readiness fails when a Kafka consumer of this gateway has not completed a poll for this long. */
        @WithDefault("30s")
        Duration stalledAfter();
    }

    interface Feed {
        /** Recent events kept for clients that reconnect with Last-Event-ID. */
        @WithDefault("10000")
        int window();

        /** A node's health summary is sent when it changes, and at most this often otherwise. */
        @WithDefault("5s")
        Duration healthInterval();

        /** A comment line this often keeps idle streams open through proxies. */
        @WithDefault("15s")
        Duration keepAlive();
    }

    interface Routing {
        /** A routing check answers 200 only on an observation this recent (an agent probes every second). */
        @WithDefault("3s")
        Duration maxObservationAge();

        /** The follower check's lag limit on PostgreSQL when the load balancer names none ({@code max-lag-bytes}). */
        @WithDefault("16777216")
        long defaultMaxLagBytes();

        /** The same on MariaDB, whose lag is counted in transactions ({@code max-lag-transactions}). */
        @WithDefault("1000")
        long defaultMaxLagTransactions();
    }
}
