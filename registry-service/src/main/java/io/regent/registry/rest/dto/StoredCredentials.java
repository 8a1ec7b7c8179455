package io.regent.registry.rest.dto;

/**
 * A cluster's database login as the other Regent services fetch it to act on its nodes; returned to no person.
 * {@link #toString()} masks the password.
 */
public record StoredCredentials(String clusterId, String username, String password) {
    @Override
    public String toString() {
        return "StoredCredentials[clusterId=" + clusterId + ", username=" + username + ", password=***]";
    }
}
