package io.regent.engines;

import java.util.Objects;

/**
 * Who probes: a monitor agent's id and zone, stamped on every observation it makes. The failover
 * quorum counts distinct observer ids.
 */
public record Observer(String id, String zone) {
    public Observer {
        Objects.requireNonNull(id, "id");
    }
}
