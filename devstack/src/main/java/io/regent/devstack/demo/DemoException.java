package io.regent.devstack.demo;

/** A failure with a message that tells the person at the terminal what to do; no stack trace needed. */
public class DemoException extends RuntimeException {

    public DemoException(String message) {
        super(message);
    }

    public DemoException(String message, Throwable cause) {
        super(message, cause);
    }
}
