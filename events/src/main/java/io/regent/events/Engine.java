package io.regent.events;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;

/** Database engines Regent manages. */
public enum Engine {
    POSTGRESQL,
    MARIADB,
    MONGODB,
    /** A value from a newer producer that this version does not know. */
    @JsonEnumDefaultValue
    UNKNOWN
}
