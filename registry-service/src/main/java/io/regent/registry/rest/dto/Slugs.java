package io.regent.registry.rest.dto;

/** Identifier rules shared by cluster ids and node names. */
public final class Slugs {
    public static final String PATTERN = "^[a-z][a-z0-9-]{0,62}$";
    public static final String MESSAGE = "must start with a lower-case letter and contain only lower-case letters, "
            + "digits and '-' (at most 63 characters)";

    private Slugs() {
    }
}
