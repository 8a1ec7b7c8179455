package io.regent.ctl.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "maintenance", description = "Turn a cluster's maintenance on (no automatic failover, no "
        + "automatic rejoin) or off.")
public final class MaintenanceCommand extends CtlCommand {

    /** on or off. */
    public enum Switch { ON, OFF }

    @Parameters(index = "0", paramLabel = "CLUSTER", description = "The cluster's id.")
    String cluster;

    @Parameters(index = "1", paramLabel = "on|off", description = "on or off.")
    Switch state;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the audit log.")
    String reason;

    @Option(names = "--until", paramLabel = "WHEN", description = "End the window by itself: a time "
            + "(2026-12-24T18:00:00Z) or a duration from now (90m, 2h).")
    String until;

    @Override
    public Integer call() {
        Instant end = until == null ? null : end(until);
        if (end != null && state == Switch.OFF) {
            throw new CtlException(ExitCodes.USAGE, "--until goes with maintenance on, not off");
        }
        root.confirm(state == Switch.ON
                ? "Turn maintenance on for " + cluster + (end == null ? "" : " until " + end) + "? Regent will not "
                        + "fail it over automatically meanwhile."
                : "Turn maintenance off for " + cluster + "? Automatic failover applies again.");
        JsonNode accepted = gateway().send("PUT", path("clusters", cluster, "maintenance"),
                fields("enabled", state == Switch.ON, "reason", reason, "until", end));
        printer().print(accepted, () -> "Requested maintenance " + state.name().toLowerCase() + " for " + cluster
                + (end == null ? "" : " until " + end) + "\n");
        return 0;
    }

    private Instant end(String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException notAnInstant) {
            Duration duration;
            try {
                duration = new DurationConverter().convert(text);
            } catch (RuntimeException e) {
                throw new CtlException(ExitCodes.USAGE, "--until " + text + " is neither a time such as "
                        + "2026-12-24T18:00:00Z nor a duration such as 90m");
            }
            return root.environment().clock().instant().plus(duration);
        }
    }
}
