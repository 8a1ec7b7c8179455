package io.regent.testkit.quarkus;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.regent.testkit.keycloak.Keycloak;
import java.util.Map;

/**
 * A real Keycloak with the {@code regent} realm for a {@code @QuarkusTest}:
 * {@code @QuarkusTestResource(KeycloakTestResource.class)}. Sets {@code quarkus.oidc.auth-server-url}
 * and creates one user per role - {@code viewer}, {@code operator}, {@code admin} (password
 * {@link #PASSWORD}) - and {@code nobody}, who has no Regent role.
 */
public class KeycloakTestResource implements QuarkusTestResourceLifecycleManager {

    /** Every test user's password (only in this test realm instance, which lives for one test class). */
    public static final String PASSWORD = "test-password-1";

    private static volatile Keycloak current;

    private Keycloak keycloak;

    /** The Keycloak of the running test resource. */
    public static Keycloak keycloak() {
        Keycloak keycloak = current;
        if (keycloak == null) {
            throw new IllegalStateException("no KeycloakTestResource is running");
        }
        return keycloak;
    }

    @Override
    public Map<String, String> start() {
        keycloak = Keycloak.start("http://127.0.0.1");
        current = keycloak;
        keycloak.createUser("viewer", PASSWORD, "regent-viewer");
        keycloak.createUser("operator", PASSWORD, "regent-operator");
        keycloak.createUser("admin", PASSWORD, "regent-admin");
        keycloak.createUser("nobody", PASSWORD);
        return Map.of("quarkus.oidc.auth-server-url", keycloak.issuer());
    }

    @Override
    public void stop() {
        if (keycloak != null) {
            keycloak.close();
            current = null;
        }
    }
}
