package io.regent.ctl.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.ctl.api.Gateway;
import io.regent.ctl.output.Table;
import io.regent.events.TopologyChanged;
import io.regent.events.TopologyNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "topology", description = "A cluster's nodes: role, state, lag, timeline and upstream, as its "
        + "agents last saw them.")
public final class TopologyCommand extends CtlCommand {

    @Parameters(index = "0", paramLabel = "CLUSTER", description = "The cluster's id.")
    String cluster;

    /** One node as {@code topology} prints it. */
    record NodeLine(String node, String host, int port, String zone, String role, String observedRole, String state,
            Long lagBytes, Long lagMillis, Long timeline, String upstream, int priority, String observedBy,
            String observedAt) {
    }

    /** The cluster with its nodes (JSON and YAML). */
    record View(String clusterId, String engine, String replication, long epoch, String leader, boolean maintenance,
            String health, String healthReason, List<NodeLine> nodes) {
    }

    @Override
    public Integer call() {
        Gateway gateway = gateway();
        TopologyChanged topology = gateway.get(path("clusters", cluster, "topology"), TopologyChanged.class);
        Map<String, JsonNode> newest = Views.newestByNode(gateway.get(path("clusters", cluster, "observations")));
        Views.Health health = ListCommand.health(gateway, topology);
        List<NodeLine> nodes = new ArrayList<>();
        for (TopologyNode node : topology.nodes()) {
            JsonNode seen = newest.get(node.name());
            boolean leader = node.name().equals(topology.leader());
            nodes.add(new NodeLine(node.name(), node.host(), node.port(), node.zone(), node.role().name(),
                    seen == null ? null : seen.path("role").asText(null), Views.state(node, leader, seen),
                    leader ? null : Views.optionalLong(seen, "lagBytes"),
                    leader ? null : Views.optionalLong(seen, "lagMillis"), Views.optionalLong(seen, "timeline"),
                    leader ? null : node.upstream() != null ? node.upstream()
                            : seen == null ? null : seen.path("upstream").asText(null),
                    node.priority(), seen == null ? null : seen.path("observerId").asText(null),
                    seen == null ? null : seen.path("observedAt").asText(null)));
        }
        String replication = topology.replication().mode() + (topology.replication().syncCount() > 0
                ? " " + topology.replication().syncCount() : "");
        View view = new View(topology.clusterId(), topology.engine() == null ? null : topology.engine().name(),
                replication, topology.epoch(), topology.leader(), topology.maintenance(), health.state(),
                health.reason(), nodes);
        printer().print(view, () -> {
            Table table = new Table("Cluster: " + topology.clusterId() + " (" + view.engine() + ", " + replication
                    + ") epoch " + topology.epoch() + (topology.maintenance() ? ", MAINTENANCE" : ""),
                    "NODE", "HOST", "ZONE", "ROLE", "STATE", "TL", "LAG", "LAG TIME", "UPSTREAM", "PRIORITY");
            for (int i = 0; i < nodes.size(); i++) {
                NodeLine line = nodes.get(i);
                TopologyNode node = topology.nodes().get(i);
                table.row(line.node(), line.host() + ":" + line.port(), line.zone(),
                        Views.role(node, newest.get(node.name())), line.state(),
                        line.timeline(), Views.lag(topology.engine(), line.lagBytes()),
                        line.lagMillis() == null ? "" : line.lagMillis() + " ms", line.upstream(), line.priority());
            }
            return table.render() + "Health: " + health.state() + " (" + health.reason() + ")\n";
        });
        return 0;
    }
}
