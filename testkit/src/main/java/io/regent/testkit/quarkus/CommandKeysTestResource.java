package io.regent.testkit.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.regent.events.kafka.CommandSignature;
import java.util.Map;

/**
 * A command signing key pair for a {@code @QuarkusTest}: the gateway's signing key and the failover-service's
 * verification key, generated per test run (never a key in the repository).
 */
public class CommandKeysTestResource implements QuarkusTestResourceLifecycleManager {

    private static volatile String[] keys;

    /** The public (verification) half, Base64 X.509. */
    public static String verifyKey() {
        String[] current = keys;
        if (current == null) {
            throw new IllegalStateException("no CommandKeysTestResource is running");
        }
        return current[1];
    }

    @Override
    public Map<String, String> start() {
        keys = CommandSignature.newKeyPair();
        return Map.of("regent.gateway.commands.signing-key", keys[0],
                "regent.failover.commands.verify-keys", keys[1]);
    }

    @Override
    public void stop() {
        keys = null;
    }
}
