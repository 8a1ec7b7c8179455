package io.regent.registry.rest.dto;

import io.regent.events.ReplicationMode;
import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/**
 * @param mode      ASYNC or SYNC_ANY
 * @param syncCount k in {@code ANY k (…)}: at least 1 in SYNC_ANY, 0 in ASYNC
 */
public record ReplicationDto(@NotNull ReplicationMode mode, @Min(0) @Max(64) int syncCount) {

    @AssertTrue(message = "SYNC_ANY needs syncCount >= 1 and ASYNC needs syncCount 0")
    public boolean isSyncCountConsistent() {
        return mode == null || (mode == ReplicationMode.SYNC_ANY ? syncCount >= 1 : syncCount == 0);
    }
}
