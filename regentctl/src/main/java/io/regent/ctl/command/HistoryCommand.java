package io.regent.ctl.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.ctl.api.Gateway;
import io.regent.ctl.output.Table;
import io.regent.events.OperationPhase;
import io.regent.events.OperationUpdated;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "history", description = "A cluster's operations, newest first: kind, outcome, nodes, epochs, "
        + "and each phase with when it happened and how long it took.")
public final class HistoryCommand extends CtlCommand {

    @Parameters(index = "0", paramLabel = "CLUSTER", description = "The cluster's id.")
    String cluster;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "10",
            description = "How many operations (1-100, default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
        int size = Math.max(1, Math.min(100, limit));
        JsonNode page = gateway().get(path("clusters", cluster, "operations") + "?page=0&size=" + size);
        List<OperationUpdated> operations = new ArrayList<>();
        page.path("items").forEach(item -> operations.add(Gateway.convert(item, OperationUpdated.class)));
        List<OperationUpdated> newestFirst = Views.newestFirst(operations);
        printer().print(newestFirst, () -> render(newestFirst, page.path("total").asLong(operations.size())));
        return 0;
    }

    /**
     * One row per phase under its operation: the time since the operation started and how long the phase took
     * (until the next phase, the last one until the end).
     */
    static String render(List<OperationUpdated> operations, long total) {
        if (operations.isEmpty()) {
            return "No operations yet.\n";
        }
        Table table = new Table("History: " + operations.get(0).clusterId() + " (" + operations.size() + " of "
                + total + ")", "STARTED", "KIND", "STATUS", "FROM", "TO", "EPOCH", "TOOK", "PHASE", "AT", "PHASE TOOK",
                "BY");
        for (OperationUpdated op : operations) {
            String epochs = op.epochBefore() == null ? "" : op.epochBefore() + (op.epochAfter() == null
                    || op.epochAfter().equals(op.epochBefore()) ? "" : " -> " + op.epochAfter());
            String took = op.startedAt() == null || op.finishedAt() == null ? op.status().name().toLowerCase()
                    : Views.duration(Duration.between(op.startedAt(), op.finishedAt()));
            List<OperationPhase> phases = op.phases();
            if (phases.isEmpty()) {
                table.row(Views.time(op.startedAt()), op.kind(), op.status(), op.fromNode(), op.toNode(), epochs,
                        took, "", "", "", op.initiator());
            }
            for (int i = 0; i < phases.size(); i++) {
                OperationPhase phase = phases.get(i);
                java.time.Instant next = i + 1 < phases.size() ? phases.get(i + 1).at() : op.finishedAt();
                String phaseTook = phase.at() == null || next == null ? "" : Views.duration(Duration.between(
                        phase.at(), next));
                String at = OperationWaiter.sinceStart(op, phase).strip();
                if (i == 0) {
                    table.row(Views.time(op.startedAt()), op.kind(), op.status(), op.fromNode(), op.toNode(),
                            epochs, took, phase.name(), at, phaseTook, op.initiator());
                } else {
                    table.row("", "", "", "", "", "", "", phase.name(), at, phaseTook, "");
                }
            }
            if (op.error() != null && !op.error().isBlank()) {
                table.row("", "", "", "", "", "", "", "error: " + abbreviate(op.error(), 60), "", "", "");
            }
        }
        return table.render();
    }

    private static String abbreviate(String text, int max) {
        String line = text.replaceAll("\\s+", " ");
        return line.length() <= max ? line : line.substring(0, max - 1) + "…";
    }
}
