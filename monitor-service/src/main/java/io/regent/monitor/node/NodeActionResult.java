package io.regent.monitor.node;

import java.time.Instant;
import java.util.List;

/** What an action did, phase by phase (the same phases are recorded on the operation, when one is named). */
public record NodeActionResult(NodeAction action, String clusterId, String node, long epoch, List<Step> phases) {

    /** One phase reached. */
    public record Step(String name, Instant at, String detail) {
    }
}
