package io.regent.events;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;

/** Why a probe could not reach a node; detection logic treats the classes differently. */
public enum ProbeErrorKind {
    /** Connection refused: nothing listens on the port (server down, host up). */
    REFUSED,
    /** Connect or statement timeout: host down, network partition, or a frozen server. */
    TIMEOUT,
    /** Authentication or authorization failure: the node is up but rejects Regent's role. */
    AUTH,
    /** The host name does not resolve. */
    DNS,
    /** The server answered but not as expected (protocol error, starting up, shutting down). */
    PROTOCOL,
    @JsonEnumDefaultValue
    OTHER
}
