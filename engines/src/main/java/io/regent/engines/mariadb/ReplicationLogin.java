package io.regent.engines.mariadb;

import java.util.Objects;

/**
 * The user a MariaDB follower replicates as ({@code REPLICATION SLAVE}). A follower re-pointed at a
 * new leader keeps the login it has; a replaced leader has none (promotion reset it), so rejoining
 * one needs this. {@link #toString()} never shows the password.
 */
public record ReplicationLogin(String user, String password) {

    public ReplicationLogin {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
    }

    @Override
    public String toString() {
        return "ReplicationLogin[" + user + "]";
    }
}
