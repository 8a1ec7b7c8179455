package io.regent.ctl;

/**
 * What {@code regentctl} exits with, so that scripts can tell a refusal from an outage. Documented in
 * docs/regentctl.md; never renumbered.
 */
public final class ExitCodes {

    /** Done; with {@code --wait}, the operation succeeded. */
    public static final int OK = 0;
    /** The operation waited for ended FAILED or CANCELLED, or did not end in time. */
    public static final int OPERATION_FAILED = 1;
    /** A mistake on the command line or in a file, or a question declined (nothing was sent). */
    public static final int USAGE = 2;
    /** Not signed in, or the session ran out: {@code regentctl login}. */
    public static final int NOT_SIGNED_IN = 3;
    /** Signed in without the role this needs (403). */
    public static final int FORBIDDEN = 4;
    /** No such cluster, node or operation (404). */
    public static final int NOT_FOUND = 5;
    /** The API refused the request as it stands (400, 409, 422): the message says why. */
    public static final int REFUSED = 6;
    /** The gateway or the identity provider could not be reached or failed (5xx, connection). */
    public static final int UNAVAILABLE = 7;

    private ExitCodes() {
    }

    /** The exit code for an HTTP error status of the API. */
    public static int forStatus(int status) {
        return switch (status) {
            case 401 -> NOT_SIGNED_IN;
            case 403 -> FORBIDDEN;
            case 404 -> NOT_FOUND;
            case 400, 409, 415, 422 -> REFUSED;
            default -> status >= 500 ? UNAVAILABLE : REFUSED;
        };
    }
}
