package io.regent.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Typed configuration of the api-gateway ({@code regent.gateway.*}). */
@ConfigMapping(prefix = "regent.gateway")
public interface GatewayConfig {

    /** Names this instance in Kafka client ids. */
    @WithDefault("gateway-1")
    String instanceId();

    Routing routing();

    Feed feed();

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

        /** The follower check's lag limit when the load balancer does not pass {@code max-lag-bytes}. */
        @WithDefault("16777216")
        long defaultMaxLagBytes();
    }
}
