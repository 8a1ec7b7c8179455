package io.regent.registry.rest.dto;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

/** Node credentials, accepted on write and never returned; {@link #toString()} masks the password. */
public record CredentialsDto(@NotBlank @Size(max = 63) String username, @NotBlank @Size(max = 1024) String password) {
    @Override
    public String toString() {
        return "CredentialsDto[username=" + username + ", password=***]";
    }
}
