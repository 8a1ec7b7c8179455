package io.regent.ctl.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.ctl.api.Feed;
import io.regent.ctl.api.FeedEvent;
import io.regent.ctl.api.Gateway;
import io.regent.ctl.output.Printer;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "watch", description = "Follow the live feed: topology changes, operations and node health as "
        + "they happen (first the current topology). One line per event; with -o json one JSON object per line.")
public final class WatchCommand extends CtlCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "CLUSTER", description = "Only this cluster.")
    String cluster;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N events.")
    Integer count;

    @Option(names = "--for", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Stop after this long (e.g. 5m).")
    Duration lasting;

    @Option(names = "--no-health", description = "Leave out node health events (they come with every change of a "
            + "node's reachability or role).")
    boolean noHealth;

    @Override
    public Integer call() throws InterruptedException {
        Printer printer = printer();
        String query = cluster == null ? "" : "?cluster=" + Gateway.encode(cluster);
        Instant deadline = lasting == null ? Instant.MAX : root.environment().clock().instant().plus(lasting);
        int seen = 0;
        try (Feed feed = gateway().follow("/api/v1/events" + query)) {
            while (count == null || seen < count) {
                Instant now = root.environment().clock().instant();
                if (!now.isBefore(deadline)) {
                    break;
                }
                FeedEvent event = feed.next(deadline == Instant.MAX ? Duration.ofMinutes(1)
                        : Duration.between(now, deadline));
                if (event == null || (noHealth && event.kind().equals("health"))) {
                    continue;
                }
                printer.printLine(fields("kind", event.kind(), "id", event.id(), "data",
                        event.data()), () -> line(event));
                seen++;
            }
        }
        return 0;
    }

    /** One event as a person reads it. */
    static String line(FeedEvent event) {
        JsonNode data = event.data();
        String clusterId = data.path("clusterId").asText("");
        String text = switch (event.kind()) {
            case "topology" -> clusterId + " epoch " + data.path("epoch").asText() + ", leader "
                    + data.path("leader").asText("none") + (data.path("maintenance").asBoolean() ? ", maintenance"
                    : "") + (data.hasNonNull("reason") ? " (" + data.path("reason").asText() + ")" : "");
            case "operation" -> clusterId + " " + data.path("kind").asText() + " " + data.path("status").asText()
                    + phase(data) + (data.hasNonNull("error") ? ": " + data.path("error").asText() : "");
            case "health" -> clusterId + "/" + data.path("node").asText() + " " + (data.path("reachable").asBoolean()
                    ? "reachable, " + data.path("role").asText() : "unreachable" + (data.hasNonNull("error")
                    ? " (" + data.path("error").asText() + ")" : "")) + " (agent " + data.path("observerId").asText()
                    + ")";
            case "cluster-deleted" -> clusterId + " deleted";
            default -> data.toString();
        };
        return Views.time(Instant.now()) + "  " + String.format("%-9s", event.kind()) + " " + text;
    }

    private static String phase(JsonNode operation) {
        JsonNode phases = operation.path("phases");
        return phases.isEmpty() ? "" : ", " + phases.get(phases.size() - 1).path("name").asText();
    }
}
