package io.regent.ctl.output;

/** {@code --output}: a table for people, JSON or YAML (the API's own field names) for scripts. */
public enum Format {
    TABLE, JSON, YAML
}
