package io.regent.testkit;

/** Infrastructure that could not be started or operated, with what to look at. */
public class TestkitException extends RuntimeException {
    public TestkitException(String message) {
        super(message);
    }

    public TestkitException(String message, Throwable cause) {
        super(message, cause);
    }
}
