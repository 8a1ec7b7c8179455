package io.regent.ctl.command;

import java.time.Duration;
import picocli.CommandLine.Option;

/** What every request that starts an operation takes: the epoch it is meant for, why, and whether to wait. */
final class RequestOptions {

    @Option(names = "--expected-epoch", paramLabel = "EPOCH",
            description = "Refuse unless the cluster is still at this epoch (default: the epoch seen now).")
    Long expectedEpoch;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the audit log and the history.")
    String reason;

    @Option(names = "--wait", description = "Wait until the operation ends; exit 1 unless it succeeded.")
    boolean await;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long --wait waits (default: 2m for a switchover or failover, 5m for a rejoin or "
                    + "rebuild, which may copy the whole database).")
    Duration timeout;

    Duration timeoutOr(Duration byDefault) {
        return timeout == null ? byDefault : timeout;
    }
}
