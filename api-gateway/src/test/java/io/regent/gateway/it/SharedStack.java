package io.regent.gateway.it;

import io.regent.testkit.FreePorts;
import io.regent.testkit.SkewedClock;
import io.regent.testkit.Testkit;
import io.regent.testkit.keycloak.Keycloak;
import io.regent.testkit.quarkus.QuarkusService;
import io.regent.testkit.stack.ControlPlane;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The stack the user-facing tests share (the dashboard in Chromium, regentctl): Keycloak with a viewer, an operator
 * and an admin, Kafka, the registry, three monitor agents and a fourth whose clock runs 5 s behind, the gateway and
 * a failover-service. Starting it takes about a minute, so the first test class that asks starts it and the end of
 * the test run closes it; each class brings and removes its own database clusters (with their own names).
 */
final class SharedStack implements AutoCloseable {

    static final String PASSWORD = "pw-" + Testkit.randomSecret();
    static final String VIEWER = "vera";
    static final String OPERATOR = "olivia";
    static final String ADMIN = "ada";
    /** The gateway's {@code default-max-lag-transactions}. */
    static final long MARIADB_LAG_LIMIT = 50;

    final Keycloak keycloak;
    final ControlPlane plane;
    final QuarkusService gateway;
    final QuarkusService failover;

    private SharedStack(Keycloak keycloak, ControlPlane plane, QuarkusService gateway, QuarkusService failover) {
        this.keycloak = keycloak;
        this.plane = plane;
        this.gateway = gateway;
        this.failover = failover;
    }

    /** {@code @RegisterExtension static final SharedStack.Use STACK = new SharedStack.Use();} then {@code STACK.get()}. */
    static final class Use implements BeforeAllCallback {
        private SharedStack stack;

        @Override
        public void beforeAll(ExtensionContext context) {
            stack = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).computeIfAbsent(SharedStack.class,
                    key -> start(), SharedStack.class);
        }

        SharedStack get() {
            if (stack == null) {
                throw new IllegalStateException("the shared stack is started by the extension, before @BeforeAll");
            }
            return stack;
        }
    }

    private static SharedStack start() {
        List<AutoCloseable> started = new ArrayList<>();
        try {
            int port = FreePorts.next();
            Keycloak keycloak = Keycloak.start("http://127.0.0.1:" + port);
            started.add(keycloak);
            keycloak.createUser(VIEWER, PASSWORD, "regent-viewer");
            keycloak.createUser(OPERATOR, PASSWORD, "regent-operator");
            keycloak.createUser(ADMIN, PASSWORD, "regent-admin");
            ControlPlane plane = ControlPlane.start(3, keycloak);
            started.add(0, plane);
            // a fourth agent on a machine whose clock runs 5 s behind: the dashboard flags it
            plane.startAgent("agent-skewed", "zone-skewed", SkewedClock.ahead(-5_000));
            // MariaDB followers leave the gateway's read pool (and the dashboard flags them) beyond 50 transactions
            QuarkusService gateway = plane.startGateway("gateway", port, keycloak.issuer(), plane.registryUrl(),
                    Map.of("regent.gateway.routing.default-max-lag-transactions", Long.toString(MARIADB_LAG_LIMIT)));
            started.add(0, gateway);
            QuarkusService failover = plane.startFailover("failover-ui", "group-ui", Map.of());
            return new SharedStack(keycloak, plane, gateway, failover);
        } catch (RuntimeException e) {
            for (AutoCloseable closeable : started) {
                try {
                    closeable.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** A user's access token, by the password grant of the testkit's test client. */
    String token(String user) {
        return keycloak.userToken(user, PASSWORD);
    }

    @Override
    public void close() throws Exception {
        plane.stopFailoverInstances();
        for (AutoCloseable closeable : new AutoCloseable[] {gateway, plane, keycloak}) {
            closeable.close();
        }
    }
}
