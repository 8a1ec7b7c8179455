package io.regent.gateway.rest;

/** Realm roles of the {@code regent} Keycloak realm (operator includes viewer, admin includes operator). */
public final class Roles {
    public static final String VIEWER = "regent-viewer";
    public static final String OPERATOR = "regent-operator";
    public static final String ADMIN = "regent-admin";

    private Roles() {
    }
}
