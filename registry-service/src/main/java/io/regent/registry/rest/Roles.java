package io.regent.registry.rest;

/** Realm roles of the {@code regent} Keycloak realm, as they appear in tokens. */
public final class Roles {
    public static final String VIEWER = "regent-viewer";
    public static final String OPERATOR = "regent-operator";
    public static final String ADMIN = "regent-admin";
    /** The other Regent services, authenticated with their client credentials. */
    public static final String SERVICE = "regent-service";

    private Roles() {
    }
}
