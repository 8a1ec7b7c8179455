package io.regent.testkit.keycloak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.regent.testkit.FreePorts;
import io.regent.testkit.ServerProcess;
import io.regent.testkit.SystemPackages;
import io.regent.testkit.Testkit;
import io.regent.testkit.TestkitException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * A real Keycloak ({@code org.keycloak:keycloak-quarkus-dist} from Maven Central) with the project's
 * {@code regent} realm imported ({@code keycloak/regent-realm.json}, the same file every deployment
 * uses), in {@code start-dev} mode on a free loopback port with an in-memory database. Client secrets
 * and the bootstrap admin's password are random per instance. Test users and a test-only client for
 * the password grant are created through the admin API - never part of the realm file.
 */
public final class Keycloak implements AutoCloseable {

    public static final String VERSION = "26.5.6";
    public static final String REALM = "regent";
    /** Created at start for tests only: direct access grants, so a test can log a user in without a browser. */
    public static final String TEST_CLIENT = "regent-test-cli";
    private static final String SHORT_LIVED_CLIENT = "regent-test-cli-short-lived";
    public static final List<String> SERVICE_CLIENTS = List.of("regent-gateway", "regent-failover", "regent-monitor");

    private static final Logger LOG = Logger.getLogger(Keycloak.class.getName());
    private static final Duration START_TIMEOUT = Duration.ofSeconds(Integer.getInteger(
            "regent.testkit.keycloak.start-timeout-seconds", 180));
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path directory;
    private final int port;
    private final String adminPassword = Testkit.randomSecret();
    private final Map<String, String> clientSecrets = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ServerProcess process;

    private Keycloak(Path directory, int port) {
        this.directory = directory;
        this.port = port;
        SERVICE_CLIENTS.forEach(client -> clientSecrets.put(client, Testkit.randomSecret()));
    }

    /** Starts Keycloak and waits until the {@code regent} realm answers; {@code dashboardUrl} is the dashboard's base URL. */
    public static Keycloak start(String dashboardUrl) {
        return start(dashboardUrl, FreePorts.next(), FreePorts.next());
    }

    /** The same on given loopback ports (HTTP and management), e.g. the local demo's fixed ones. */
    public static Keycloak start(String dashboardUrl, int port, int managementPort) {
        long started = System.nanoTime();
        Keycloak keycloak = new Keycloak(Testkit.get().newDirectory("keycloak"), port);
        Testkit.get().track(keycloak);
        try {
            keycloak.launch(dashboardUrl, managementPort);
            keycloak.createTestClient();
            LOG.info(() -> String.format("Keycloak %s ready on %s in %d ms", VERSION, keycloak.url(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
            return keycloak;
        } catch (RuntimeException e) {
            keycloak.close();
            throw e;
        }
    }

    /** {@code http://127.0.0.1:<port>} */
    public URI url() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The realm's issuer: what services set as {@code quarkus.oidc.auth-server-url}. */
    public String issuer() {
        return url() + "/realms/" + REALM;
    }

    /** The random secret of one of {@link #SERVICE_CLIENTS}. */
    public String clientSecret(String clientId) {
        String secret = clientSecrets.get(clientId);
        if (secret == null) {
            throw new IllegalArgumentException("no confidential client " + clientId + "; clients are " + SERVICE_CLIENTS);
        }
        return secret;
    }

    /** Creates an enabled user with a password and the given realm roles. */
    public void createUser(String username, String password, String... realmRoles) {
        String admin = adminToken();
        Map<String, Object> user = Map.of("username", username, "enabled", true, "emailVerified", true,
                "firstName", username, "lastName", "Test", "email", username + "@example.test",
                "credentials", List.of(Map.of("type", "password", "value", password, "temporary", false)));
        send("POST", "/admin/realms/" + REALM + "/users", admin, json(user), 201);
        String id = get("/admin/realms/" + REALM + "/users?exact=true&username=" + encode(username), admin).get(0)
                .get("id").asText();
        grantRealmRoles(admin, id, realmRoles);
    }

    private void grantRealmRoles(String admin, String userId, String... realmRoles) {
        if (realmRoles.length > 0) {
            StringBuilder roles = new StringBuilder("[");
            for (String role : realmRoles) {
                JsonNode representation = get("/admin/realms/" + REALM + "/roles/" + encode(role), admin);
                roles.append(roles.length() > 1 ? "," : "").append(representation);
            }
            send("POST", "/admin/realms/" + REALM + "/users/" + userId + "/role-mappings/realm", admin, roles + "]",
                    204);
        }
    }

    /**
     * Creates a confidential client for automation (client-credentials grant) whose service account has the given
     * realm roles, as an operator would for a CI job; returns its secret.
     */
    public String createServiceClient(String clientId, String... realmRoles) {
        String admin = adminToken();
        String secret = Testkit.randomSecret();
        send("POST", "/admin/realms/" + REALM + "/clients", admin, json(Map.of("clientId", clientId, "enabled", true,
                "publicClient", false, "secret", secret, "standardFlowEnabled", false, "directAccessGrantsEnabled",
                false, "serviceAccountsEnabled", true)), 201);
        String id = get("/admin/realms/" + REALM + "/clients?clientId=" + encode(clientId), admin).get(0).get("id")
                .asText();
        String user = get("/admin/realms/" + REALM + "/clients/" + id + "/service-account-user", admin).get("id")
                .asText();
        grantRealmRoles(admin, user, realmRoles);
        return secret;
    }

    /** An access token for a user, by the password grant of the test-only client. */
    public String userToken(String username, String password) {
        return token(Map.of("grant_type", "password", "client_id", TEST_CLIENT, "username", username,
                "password", password, "scope", "openid"));
    }

    /** A user's access token that has already expired: issued with a one-second lifespan, returned after it. */
    public String expiredUserToken(String username, String password) {
        String token = token(Map.of("grant_type", "password", "client_id", SHORT_LIVED_CLIENT, "username", username,
                "password", password));
        Testkit.sleep(2_100);
        return token;
    }

    /** An access token for a service, by the client-credentials grant. */
    public String serviceToken(String clientId) {
        return token(Map.of("grant_type", "client_credentials", "client_id", clientId,
                "client_secret", clientSecret(clientId)));
    }

    private String token(Map<String, String> form) {
        String body = form.entrySet().stream().map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
        HttpResponse<String> response = exchange(HttpRequest.newBuilder(url().resolve("/realms/" + REALM
                + "/protocol/openid-connect/token")).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        if (response.statusCode() != 200) {
            throw new TestkitException("Keycloak refused a " + form.get("grant_type") + " token: "
                    + response.statusCode() + " " + response.body());
        }
        return parse(response.body()).get("access_token").asText();
    }

    private void launch(String dashboardUrl, int managementPort) {
        // a kept home keeps the unpacked (and already built) distribution: the next start is quicker
        Path unpacked = directory.resolve("keycloak-" + VERSION);
        Path distribution = Files.isExecutable(unpacked.resolve("bin/kc.sh")) ? unpacked : unpack();
        try (InputStream realm = Keycloak.class.getResourceAsStream("regent-realm.json")) {
            if (realm == null) {
                throw new TestkitException("the realm file is missing from the testkit (io/regent/testkit/keycloak/)");
            }
            Path imports = Files.createDirectories(distribution.resolve("data/import"));
            Files.copy(realm, imports.resolve("regent-realm.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new TestkitException("cannot stage the realm file: " + e.getMessage(), e);
        }
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
        environment.put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
        environment.put("REGENT_DASHBOARD_URL", dashboardUrl);
        clientSecrets.forEach((client, secret) -> environment.put(
                "REGENT_" + client.substring("regent-".length()).toUpperCase() + "_CLIENT_SECRET", secret));
        environment.put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx512m");
        process = ServerProcess.start("Keycloak " + VERSION, List.of(distribution.resolve("bin/kc.sh").toString(),
                "start-dev", "--http-host=127.0.0.1", "--http-port=" + port,
                "--http-management-port=" + managementPort, "--db=dev-mem", "--cache=local", "--import-realm",
                "--log-level=WARN,org.keycloak.exportimport:INFO"), distribution,
                Testkit.get().logFile(directory.resolve("keycloak.log"), "keycloak"), environment);
        awaitRealm();
    }

    /** The distribution, unpacked into this instance's directory. */
    private Path unpack() {
        SystemPackages.machine().ensure(SystemPackages.TAR);
        Path archive = archive();
        ProcessBuilder tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", directory.toString())
                .redirectErrorStream(true);
        try {
            Process unpacking = tar.start();
            String output = new String(unpacking.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (unpacking.waitFor() != 0) {
                throw new TestkitException("cannot unpack " + archive + ": " + output);
            }
        } catch (IOException e) {
            throw new TestkitException("cannot unpack " + archive + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted while unpacking Keycloak", e);
        }
        return directory.resolve("keycloak-" + VERSION);
    }

    /** {@code -Dregent.testkit.keycloak.dist}, else the artifact in the local Maven repository (the testkit's build fetches it). */
    private static Path archive() {
        String configured = System.getProperty("regent.testkit.keycloak.dist");
        Path repository = Path.of(System.getProperty("maven.repo.local",
                System.getProperty("user.home") + "/.m2/repository"));
        Path archive = configured != null ? Path.of(configured) : repository.resolve(
                "org/keycloak/keycloak-quarkus-dist/" + VERSION + "/keycloak-quarkus-dist-" + VERSION + ".tar.gz");
        if (!Files.isRegularFile(archive)) {
            throw new TestkitException("Keycloak " + VERSION + " distribution not found at " + archive + "; build the "
                    + "testkit module (it fetches org.keycloak:keycloak-quarkus-dist:" + VERSION + ":tar.gz from Maven "
                    + "Central) or set -Dregent.testkit.keycloak.dist");
        }
        return archive;
    }

    private void awaitRealm() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new TestkitException("Keycloak exited during start-up; log " + process.logFile() + ":\n"
                        + process.logTail(40));
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(issuer()
                        + "/.well-known/openid-configuration")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
                last = "HTTP " + response.statusCode();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TestkitException("interrupted while waiting for Keycloak", e);
            }
            Testkit.sleep(250);
        }
        throw new TestkitException("Keycloak did not serve realm " + REALM + " within " + START_TIMEOUT + " (last: "
                + last + "); log " + process.logFile() + ":\n" + process.logTail(40));
    }

    private void createTestClient() {
        String admin = adminToken();
        send("POST", "/admin/realms/" + REALM + "/clients", admin, json(Map.of("clientId", TEST_CLIENT,
                "enabled", true, "publicClient", true, "standardFlowEnabled", false,
                "directAccessGrantsEnabled", true)), 201);
        send("POST", "/admin/realms/" + REALM + "/clients", admin, json(Map.of("clientId", SHORT_LIVED_CLIENT,
                "enabled", true, "publicClient", true, "standardFlowEnabled", false,
                "directAccessGrantsEnabled", true, "attributes", Map.of("access.token.lifespan", "1"))), 201);
    }

    private String adminToken() {
        HttpResponse<String> response = exchange(HttpRequest.newBuilder(url().resolve(
                "/realms/master/protocol/openid-connect/token")).header("Content-Type",
                "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(
                "grant_type=password&client_id=admin-cli&username=admin&password=" + encode(adminPassword))).build());
        if (response.statusCode() != 200) {
            throw new TestkitException("Keycloak admin login failed: " + response.statusCode() + " " + response.body());
        }
        return parse(response.body()).get("access_token").asText();
    }

    private JsonNode get(String path, String token) {
        HttpResponse<String> response = exchange(HttpRequest.newBuilder(url().resolve(path))
                .header("Authorization", "Bearer " + token).GET().build());
        if (response.statusCode() != 200) {
            throw new TestkitException("GET " + path + " -> " + response.statusCode() + " " + response.body());
        }
        return parse(response.body());
    }

    private void send(String method, String path, String token, String body, int expected) {
        HttpResponse<String> response = exchange(HttpRequest.newBuilder(url().resolve(path))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build());
        if (response.statusCode() != expected) {
            throw new TestkitException(method + " " + path + " -> " + response.statusCode() + " " + response.body());
        }
    }

    private HttpResponse<String> exchange(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new TestkitException(request.method() + " " + request.uri() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TestkitException("interrupted", e);
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new TestkitException("Keycloak answered something that is not JSON: " + body, e);
        }
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** Stops the server (it is also a crash test's way to take Keycloak away) and removes its files. */
    @Override
    public synchronized void close() {
        if (process != null) {
            process.stop("TERM", Duration.ofSeconds(20));
            process = null;
        }
        Testkit.killEverythingUnder(directory);
        Testkit.get().discard(directory);
        Testkit.get().untrack(this);
    }
}
