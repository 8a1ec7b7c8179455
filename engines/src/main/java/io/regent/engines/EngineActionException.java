package io.regent.engines;

/**
 * An action on a node (promote, follow, fence …) did not take effect. The message says what was
 * attempted on which node and why it failed, for the operation's error and for people.
 */
public class EngineActionException extends RuntimeException {

    public EngineActionException(String message) {
        super(message);
    }

    public EngineActionException(String message, Throwable cause) {
        super(message, cause);
    }
}
