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
                    case "53300", "53000", "53200", "08004":
                        // too many connections, out of resources, connection rejected by the server: it answered
                        return sql.getErrorCode() == 1045 ? ProbeErrorKind.AUTH : ProbeErrorKind.BUSY;
                    case "57014":
                        return ProbeErrorKind.SLOW; // its own statement timeout cancelled the probe: it answered
                    case "57P01", "57P02", "57P03", "08P01":
                        return ProbeErrorKind.PROTOCOL; // shutting down, starting up, protocol violation
                    default:
                        break;
                }
            }
            if (t instanceof SQLException sql) {
                switch (sql.getErrorCode()) { // MariaDB, whose driver often leaves the SQL state general
                    case 1045, 1044, 1142, 1227:
                        return ProbeErrorKind.AUTH; // access denied
                    case 1040, 1203, 1226:
                        return ProbeErrorKind.BUSY; // too many connections, max_user_connections, resource limits
                    case 1969, 3024:
                        return ProbeErrorKind.SLOW; // max_statement_time exceeded: the server cancelled it
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
