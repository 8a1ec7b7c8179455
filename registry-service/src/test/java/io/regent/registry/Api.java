package io.regent.registry;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.util.List;
import java.util.Map;

/** Requests as the roles of the realm. */
final class Api {

    static final String ADMIN = Tokens.forRoles("alice-admin", "regent-admin");
    static final String OPERATOR = Tokens.forRoles("oscar-operator", "regent-operator");
    static final String VIEWER = Tokens.forRoles("vera-viewer", "regent-viewer");
    static final String SERVICE = Tokens.forRoles("service-account-regent-failover", "regent-service");

    private Api() {
    }

    static RequestSpecification as(String token) {
        return given().auth().oauth2(token).contentType(ContentType.JSON).accept(ContentType.JSON);
    }

    /** A cluster body with three nodes, the first one leader. */
    static Map<String, Object> cluster(String id) {
        return Map.of("id", id, "displayName", "Cluster " + id, "engine", "POSTGRESQL",
                "replication", Map.of("mode", "SYNC_ANY", "syncCount", 1),
                "nodes", List.of(
                        Map.of("name", id + "-1", "host", "10.0.0.1", "port", 5432, "zone", "a", "role", "LEADER"),
                        Map.of("name", id + "-2", "host", "10.0.0.2", "port", 5432, "zone", "b"),
                        Map.of("name", id + "-3", "host", "10.0.0.3", "port", 5432, "zone", "c", "priority", 0)));
    }

    static void createCluster(String id) {
        as(ADMIN).body(cluster(id)).post("/api/v1/clusters").then().statusCode(201);
    }
}
