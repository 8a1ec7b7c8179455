package io.regent.ctl.command;

import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import io.regent.ctl.RegentCtl;
import io.regent.ctl.api.ApiProblem;
import io.regent.ctl.api.Gateway;
import io.regent.events.OperationPhase;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * {@code --wait}: follows a requested operation until it ends, printing each phase as it is recorded. The
 * operation is unknown (404) until the failover-service has taken the request up: that is waited out too.
 */
final class OperationWaiter {

    private static final Duration POLL = Duration.ofMillis(500);

    private OperationWaiter() {
    }

    /** Returns the ended operation; throws when it failed or did not end within {@code timeout}. */
    static OperationUpdated await(RegentCtl root, UUID operationId, Duration timeout) {
        Gateway gateway = root.gateway();
        Instant deadline = root.environment().clock().instant().plus(timeout);
        int phasesShown = 0;
        OperationUpdated operation = null;
        while (true) {
            try {
                operation = gateway.get("/api/v1/operations/" + operationId, OperationUpdated.class);
            } catch (ApiProblem e) {
                if (e.status() != 404) {
                    throw e;
                }
            }
            if (operation != null) {
                for (; phasesShown < operation.phases().size(); phasesShown++) {
                    OperationPhase phase = operation.phases().get(phasesShown);
                    root.printer().say("  " + phase.name() + sinceStart(operation, phase)
                            + (phase.detail() == null || phase.detail().isBlank() ? "" : ": " + phase.detail()));
                }
                if (ended(operation.status())) {
                    return finished(operation);
                }
            }
            if (root.environment().clock().instant().isAfter(deadline)) {
                throw new CtlException(ExitCodes.OPERATION_FAILED, "operation " + operationId + " did not end within "
                        + Views.duration(timeout) + (operation == null ? " (it was never recorded: is a "
                        + "failover-service running?)" : " (still " + operation.status() + "); follow it with "
                        + "regentctl history " + operation.clusterId()));
            }
            try {
                root.environment().sleeper().sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CtlException(ExitCodes.OPERATION_FAILED, "interrupted while waiting for " + operationId);
            }
        }
    }

    private static OperationUpdated finished(OperationUpdated operation) {
        if (operation.status() != OperationStatus.SUCCEEDED) {
            throw new CtlException(ExitCodes.OPERATION_FAILED, operation.kind() + " " + operation.operationId() + " "
                    + operation.status() + (operation.error() == null ? "" : ": " + operation.error()));
        }
        return operation;
    }

    static boolean ended(OperationStatus status) {
        return status == OperationStatus.SUCCEEDED || status == OperationStatus.FAILED
                || status == OperationStatus.CANCELLED;
    }

    static String sinceStart(OperationUpdated operation, OperationPhase phase) {
        return operation.startedAt() == null || phase.at() == null ? ""
                : " +" + Views.duration(Duration.between(operation.startedAt(), phase.at()));
    }
}
