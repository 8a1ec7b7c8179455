package io.regent.gateway.rest;

/** An error answered as RFC 9457 problem+json with a message a person can act on. */
public class ProblemException extends RuntimeException {

    private final int status;
    private final String title;

    public ProblemException(int status, String title, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.title = title;
    }

    public static ProblemException notFound(String what, String id) {
        return new ProblemException(404, what + " not found", what + " '" + id + "' does not exist (or no topology "
                + "has been published for it yet)");
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }
}
