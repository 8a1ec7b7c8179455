package io.regent.ctl.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.events.Engine;
import io.regent.events.OperationKind;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** What the tables show, computed from the API's answers: pure, so tested without a gateway. */
final class Views {

    /** A follower this far behind makes the cluster degraded (as on the dashboard). */
    static final long LAG_WARN_BYTES = 16L * 1024 * 1024;

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    private Views() {
    }

    /** A cluster's state and why: the same rule as the dashboard's. */
    record Health(String state, String reason) {
    }

    /** The newest observation of each node (by when the gateway received it; agents' clocks are never compared). */
    static Map<String, JsonNode> newestByNode(JsonNode observations) {
        Map<String, JsonNode> newest = new HashMap<>();
        for (JsonNode observation : observations) {
            newest.merge(observation.path("node").asText(), observation, (a, b) ->
                    instant(b, "receivedAt").isAfter(instant(a, "receivedAt")) ? b : a);
        }
        return newest;
    }

    static Health health(TopologyChanged topology, Map<String, JsonNode> newest, Optional<OperationUpdated> newestOp) {
        Optional<OperationUpdated> changing = newestOp.filter(op -> op.status() == OperationStatus.RUNNING
                || op.status() == OperationStatus.PENDING).filter(op -> op.kind() == OperationKind.FAILOVER
                || op.kind() == OperationKind.SWITCHOVER);
        if (changing.isPresent()) {
            return new Health(changing.get().kind() == OperationKind.SWITCHOVER ? "switching-over" : "failing-over",
                    changing.get().kind().name().toLowerCase(Locale.ROOT) + " " + changing.get().operationId()
                            + " is running");
        }
        if (topology.leader() == null) {
            return new Health("leaderless", "no leader on record");
        }
        JsonNode leader = newest.get(topology.leader());
        if (leader != null && !leader.path("reachable").asBoolean()) {
            return new Health("leaderless", "leader " + topology.leader() + " unreachable"
                    + error(leader));
        }
        for (TopologyNode node : topology.nodes()) {
            if (node.name().equals(topology.leader())) {
                continue;
            }
            JsonNode seen = newest.get(node.name());
            String why = seen == null ? "no report yet"
                    : !seen.path("reachable").asBoolean() ? "unreachable" + error(seen)
                    : !"streaming".equals(seen.path("walReceiverStatus").asText(null)) ? "not streaming"
                    : seen.path("lagBytes").asLong(0) > LAG_WARN_BYTES ? "behind by "
                            + bytes(seen.path("lagBytes").asLong()) : null;
            if (why != null) {
                return new Health("degraded", node.name() + " " + why);
            }
        }
        return new Health("healthy", "leader writable, every follower streaming");
    }

    /** What the node is doing, as seen by the newest report. */
    static String state(TopologyNode node, boolean leader, JsonNode seen) {
        if (seen == null) {
            return "no report";
        }
        if (!seen.path("reachable").asBoolean()) {
            return "unreachable" + error(seen);
        }
        if (leader) {
            return seen.path("readOnly").asBoolean(false) ? "running, read-only" : "running";
        }
        String receiver = seen.path("walReceiverStatus").asText(null);
        return receiver == null ? "running, not replicating" : receiver;
    }

    /** The registry's role, and what the node itself says when that differs. */
    static String role(TopologyNode node, JsonNode seen) {
        String registered = node.role().name();
        String observed = seen == null ? null : seen.path("role").asText(null);
        return observed == null || observed.equals(registered) || "UNKNOWN".equals(observed)
                || !seen.path("reachable").asBoolean() ? registered : registered + " (seen " + observed + ")";
    }

    static String bytes(Long value) {
        if (value == null) {
            return "";
        }
        if (value < 1024) {
            return value + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double scaled = value;
        int unit = -1;
        while (scaled >= 1024 && unit < units.length - 1) {
            scaled /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", scaled, units[unit]);
    }

    /** Lag in the engine's unit: WAL bytes for PostgreSQL, transactions (GTID sequence numbers) for MariaDB. */
    static String lag(Engine engine, Long value) {
        return engine == Engine.MARIADB && value != null ? value + " trx" : bytes(value);
    }

    static String duration(Duration duration) {
        if (duration == null) {
            return "";
        }
        long millis = duration.toMillis();
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
        }
        long seconds = duration.toSeconds();
        return seconds < 3600 ? String.format(Locale.ROOT, "%d min %02d s", seconds / 60, seconds % 60)
                : String.format(Locale.ROOT, "%d h %02d min", seconds / 3600, (seconds % 3600) / 60);
    }

    static String time(Instant instant) {
        return instant == null ? "" : TIME.format(instant);
    }

    static Long optionalLong(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        return value == null || value.isNull() ? null : value.asLong();
    }

    /** The newest operation first; phases in the order they happened. */
    static List<OperationUpdated> newestFirst(List<OperationUpdated> operations) {
        return operations.stream().sorted(Comparator.comparing(OperationUpdated::startedAt,
                Comparator.nullsLast(Comparator.reverseOrder()))).toList();
    }

    private static String error(JsonNode seen) {
        String error = seen.path("error").asText(null);
        return error == null ? "" : " (" + error + ")";
    }

    private static Instant instant(JsonNode node, String field) {
        String text = node.path(field).asText(null);
        try {
            return text == null ? Instant.EPOCH : Instant.parse(text);
        } catch (RuntimeException e) {
            return Instant.EPOCH;
        }
    }
}
