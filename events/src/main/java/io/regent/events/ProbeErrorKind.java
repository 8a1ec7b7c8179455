package io.regent.events;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;

/**
 * Why a probe could not get its answer; detection treats the classes differently. Some are an answer
 * in themselves ({@link #answered()}): the server is alive, only unhealthy - never evidence that it is down.
 */
public enum ProbeErrorKind {
    /** Connection refused: nothing listens on the port (server down, host up). Strong evidence. */
    REFUSED,
    /** No answer in time: host down, network partition, a frozen server - or just a slow one. Weak evidence. */
    TIMEOUT,
    /** Authentication or authorization failure: the node is up but rejects Regent's role. An answer. */
    AUTH,
    /** The host name does not resolve. */
    DNS,
    /** The server answered but not as expected (protocol error, starting up, shutting down). */
    PROTOCOL,
    /** The server answered that it takes no session now: too many connections, out of resources. An answer. */
    BUSY,
    /** The server answered, cancelling the probe's statement at its own statement timeout: slow, alive. */
    SLOW,
    @JsonEnumDefaultValue
    OTHER;

    /** Whether a probe that failed this way still heard the server answer: alive, if unhealthy. */
    public boolean answered() {
        return this == AUTH || this == BUSY || this == SLOW;
    }
}
