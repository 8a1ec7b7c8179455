package io.regent.registry.rest.dto;

import io.regent.events.NodeRole;
import java.util.List;

public record NodeResponse(String name, String host, int port, String zone, int priority, List<String> tags,
        NodeRole role) {
}
