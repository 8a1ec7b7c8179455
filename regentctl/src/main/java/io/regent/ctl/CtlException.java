package io.regent.ctl;

/** A failure the command reports as one line on stderr and an exit code (never a stack trace). */
public class CtlException extends RuntimeException {

    private final int exitCode;

    public CtlException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CtlException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
