package io.regent.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.regent.registry.crypto.CredentialsCipher;
import io.regent.registry.domain.CredentialsEntity;
import io.regent.registry.domain.OutboxEntity;
import io.regent.registry.rest.dto.CredentialsDto;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManager;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Invariant 9: database credentials are stored encrypted, never returned, never logged. */
@QuarkusTest
class CredentialsSecrecyTest {

    private static final String PASSWORD = "pw-" + java.util.UUID.randomUUID();

    @Inject
    EntityManager entityManager;

    @Inject
    CredentialsCipher cipher;

    private final List<String> logged = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            StringBuilder text = new StringBuilder(String.valueOf(record.getMessage()));
            if (record.getParameters() != null) {
                for (Object parameter : record.getParameters()) {
                    text.append(' ').append(parameter);
                }
            }
            for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
                text.append(' ').append(t);
            }
            synchronized (logged) {
                logged.add(text.toString());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void captureLogs() {
        capture.setLevel(java.util.logging.Level.ALL);
        Logger.getLogger("").addHandler(capture);
    }

    @AfterEach
    void stopCapturing() {
        Logger.getLogger("").removeHandler(capture);
    }

    @Test
    void credentialsAreEncryptedNeverReturnedAndNeverLogged() {
        Map<String, Object> body = new HashMap<>(Api.cluster("secret"));
        body.put("credentials", Map.of("username", "regent", "password", PASSWORD));
        List<String> responses = new ArrayList<>();
        responses.add(Api.as(Api.ADMIN).body(body).post("/api/v1/clusters").then().statusCode(201)
                .body("credentialsStored", equalTo(true)).extract().asString());
        responses.add(Api.as(Api.ADMIN).body(Map.of("displayName", "again", "credentials",
                        Map.of("username", "regent", "password", PASSWORD)))
                .put("/api/v1/clusters/secret").then().statusCode(200).extract().asString());
        // a rejected request that carries the password must not echo it either
        responses.add(Api.as(Api.ADMIN).body(Map.of("displayName", "again", "credentials",
                        Map.of("username", "", "password", PASSWORD)))
                .put("/api/v1/clusters/secret").then().statusCode(400).extract().asString());
        responses.add(Api.as(Api.VIEWER).get("/api/v1/clusters/secret").then().statusCode(200).extract().asString());
        responses.add(Api.as(Api.VIEWER).get("/api/v1/clusters?size=100").then().statusCode(200).extract().asString());
        responses.add(Api.as(Api.VIEWER).get("/api/v1/clusters/secret/topology").then().statusCode(200)
                .extract().asString());
        responses.add(Api.as(Api.VIEWER).get("/api/v1/clusters/secret/nodes").then().statusCode(200)
                .extract().asString());
        responses.add(Api.as(Api.VIEWER).get("/q/openapi").then().statusCode(200).extract().asString());

        assertThat(responses).allSatisfy(r -> assertThat(r).doesNotContain(PASSWORD));
        assertThat(responses.get(0)).doesNotContain("\"password\"").doesNotContain("ciphertext");

        CredentialsEntity row = QuarkusTransaction.requiringNew().call(
                () -> entityManager.find(CredentialsEntity.class, "secret"));
        assertThat(new String(row.ciphertext, StandardCharsets.ISO_8859_1)).doesNotContain(PASSWORD);
        assertThat(row.nonce).hasSize(12);
        assertThat(cipher.decrypt(row)).isEqualTo(new CredentialsCipher.Plain("regent", PASSWORD));
        assertThat(cipher.decrypt(row).toString()).doesNotContain(PASSWORD);
        assertThat(new CredentialsDto("regent", PASSWORD).toString()).doesNotContain(PASSWORD);

        List<OutboxEntity> events = QuarkusTransaction.requiringNew().call(() -> entityManager
                .createQuery("from OutboxEntity where eventKey = 'secret'", OutboxEntity.class).getResultList());
        assertThat(events).isNotEmpty().allSatisfy(e -> assertThat(
                new String(e.payload, StandardCharsets.UTF_8)).doesNotContain(PASSWORD));
        synchronized (logged) {
            assertThat(logged).isNotEmpty().noneMatch(line -> line.contains(PASSWORD));
        }
    }

    @Test
    void onlyTheServicesReadAClustersLoginNeverCachedAndTheReadIsLoggedWithoutIt() {
        Map<String, Object> body = new HashMap<>(Api.cluster("secret-c"));
        body.put("credentials", Map.of("username", "own_control", "password", PASSWORD));
        Api.as(Api.ADMIN).body(body).post("/api/v1/clusters").then().statusCode(201);

        io.restassured.response.Response read = Api.as(Api.SERVICE).get("/api/v1/clusters/secret-c/credentials");
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.header("Cache-Control")).isEqualTo("no-store");
        assertThat(read.jsonPath().getString("username")).isEqualTo("own_control");
        assertThat(read.jsonPath().getString("password")).isEqualTo(PASSWORD);
        for (String person : List.of(Api.ADMIN, Api.OPERATOR, Api.VIEWER)) {
            assertThat(Api.as(person).get("/api/v1/clusters/secret-c/credentials").then().statusCode(403).extract()
                    .asString()).doesNotContain(PASSWORD);
        }
        Api.createCluster("secret-none");
        assertThat(Api.as(Api.SERVICE).get("/api/v1/clusters/secret-none/credentials").then().statusCode(404)
                .extract().jsonPath().getString("detail")).isEqualTo("Cluster 'secret-none' has no stored "
                        + "credentials: the services use their default login for it, if they are configured to.");
        synchronized (logged) {
            assertThat(logged).anyMatch(line -> line.contains("what=read-credentials") && line.contains("secret-c"))
                    .noneMatch(line -> line.contains(PASSWORD));
        }
    }

    @Test
    void aCiphertextMovedToAnotherClusterDoesNotDecrypt() {
        Map<String, Object> body = new HashMap<>(Api.cluster("secret-b"));
        body.put("credentials", Map.of("username", "regent", "password", PASSWORD));
        Api.as(Api.ADMIN).body(body).post("/api/v1/clusters").then().statusCode(201);
        CredentialsEntity row = QuarkusTransaction.requiringNew().call(
                () -> entityManager.find(CredentialsEntity.class, "secret-b"));

        row.clusterId = "someone-else";

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> cipher.decrypt(row))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot be decrypted")
                .hasMessageNotContaining(PASSWORD);
    }
}
