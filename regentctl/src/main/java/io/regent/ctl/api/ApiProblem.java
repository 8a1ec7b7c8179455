package io.regent.ctl.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;

/**
 * An RFC 9457 problem the API answered with, or the closest equivalent for an answer that is not one (a
 * proxy's error page). Its message is the one line a person reads: title, status and detail.
 */
public final class ApiProblem extends CtlException {

    private final int status;
    private final String title;
    private final String detail;
    private final JsonNode body;

    public ApiProblem(int status, String title, String detail, JsonNode body) {
        super(ExitCodes.forStatus(status), line(status, title, detail));
        this.status = status;
        this.title = title;
        this.detail = detail;
        this.body = body;
    }

    /** "Forbidden (403): ..." - the title, the status and what to do, on one line. */
    static String line(int status, String title, String detail) {
        String head = (title == null || title.isBlank() ? "HTTP error" : title) + " (" + status + ")";
        String text = detail == null || detail.isBlank() ? head : head + ": " + detail;
        return text.replaceAll("\\s*\\R\\s*", " ").strip();
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return detail;
    }

    /** The whole problem document (field errors and extension members included); null when it was none. */
    public JsonNode body() {
        return body;
    }
}
