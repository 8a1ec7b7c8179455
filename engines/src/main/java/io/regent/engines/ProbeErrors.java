package io.regent.engines;

import io.regent.events.ProbeError;
import io.regent.events.ProbeErrorKind;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.concurrent.TimeoutException;

/** Sorts a failed probe into the classes detection logic distinguishes. */
public final class ProbeErrors {

    private ProbeErrors() {
    }

    public static ProbeError classify(Throwable failure) {
        return new ProbeError(kind(failure), message(failure));
    }

    static ProbeErrorKind kind(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException || t instanceof TimeoutException) {
                return ProbeErrorKind.TIMEOUT;
            }
            if (t instanceof NoRouteToHostException) {
                return ProbeErrorKind.TIMEOUT; // the host, not the server, is gone
            }
            if (t instanceof ConnectException) {
                return ProbeErrorKind.REFUSED;
            }
            if (t instanceof UnknownHostException) {
                return ProbeErrorKind.DNS;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                switch (sql.getSQLState()) {
                    case "28P01", "28000", "42501":
                        return ProbeErrorKind.AUTH;
                    case "57P01", "57P02", "57P03", "08P01":
                        return ProbeErrorKind.PROTOCOL; // shutting down, starting up, protocol violation
                    default:
                        break;
                }
            }
        }
        return ProbeErrorKind.OTHER;
    }

    private static String message(Throwable failure) {
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return message.length() > 500 ? message.substring(0, 500) : message;
    }
}
