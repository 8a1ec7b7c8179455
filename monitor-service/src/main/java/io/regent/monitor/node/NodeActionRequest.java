package io.regent.monitor.node;

import io.regent.engines.postgres.PostgresNodeControl.StopMode;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.PositiveOrZero;
import java.util.UUID;

/**
 * A node action, as the failover-service sends it.
 *
 * @param action      what to do
 * @param clusterId   the cluster the caller means; must be this agent's
 * @param node        the node the caller means; must be this agent's
 * @param epoch       the topology epoch the caller decided at; must be the current one
 * @param operationId the registry operation to record phases on; optional
 * @param stopMode    for STOP: FAST (default) or IMMEDIATE
 */
public record NodeActionRequest(
        @NotNull NodeAction action,
        @NotBlank String clusterId,
        @NotBlank String node,
        @NotNull @PositiveOrZero Long epoch,
        UUID operationId,
        StopMode stopMode) {
}
