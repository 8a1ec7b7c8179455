package io.regent.ctl.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.ctl.RegentCtl;
import io.regent.events.OperationUpdated;
import java.time.Duration;
import java.util.UUID;
import java.util.function.Function;

/** What an accepted command (202) prints, and with {@code --wait} what its operation ended as. */
final class Requests {

    private Requests() {
    }

    static int report(RegentCtl root, JsonNode accepted, boolean await, Duration timeout,
            Function<OperationUpdated, String> done) {
        UUID operationId = UUID.fromString(accepted.path("operationId").asText());
        if (!await) {
            root.printer().print(accepted, () -> "Requested " + accepted.path("command").asText() + " of "
                    + accepted.path("clusterId").asText() + ": operation " + operationId + "\nFollow it with: "
                    + "regentctl history " + accepted.path("clusterId").asText() + "\n");
            return 0;
        }
        root.printer().say("Requested " + accepted.path("command").asText() + " of "
                + accepted.path("clusterId").asText() + ": operation " + operationId + ", waiting...");
        OperationUpdated operation = OperationWaiter.await(root, operationId, timeout);
        root.printer().print(operation, () -> done.apply(operation) + " ("
                + Views.duration(operation.finishedAt() == null || operation.startedAt() == null ? null
                : Duration.between(operation.startedAt(), operation.finishedAt())) + ")\n");
        return 0;
    }
}
