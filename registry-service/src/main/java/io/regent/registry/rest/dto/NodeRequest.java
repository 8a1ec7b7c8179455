package io.regent.registry.rest.dto;

import io.regent.events.NodeRole;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;

/**
 * A node to add, or its new settings.
 *
 * @param name     a slug, unique in the cluster
 * @param host     host name or address
 * @param port     TCP port
 * @param zone     failure domain
 * @param priority election priority, 0 = never leader; default 100
 * @param tags     free-form labels
 * @param role     only when registering a cluster's initial nodes: LEADER or FOLLOWER (default)
 */
public record NodeRequest(
        @NotBlank @Pattern(regexp = Slugs.PATTERN, message = Slugs.MESSAGE) String name,
        @NotBlank @Size(max = 253) String host,
        @Min(1) @Max(65535) int port,
        @Size(max = 63) String zone,
        @Min(0) @Max(1000) Integer priority,
        @Size(max = 32) List<@NotNull @Size(min = 1, max = 63) String> tags,
        NodeRole role) {
}
