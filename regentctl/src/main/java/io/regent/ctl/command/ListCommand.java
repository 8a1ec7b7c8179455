package io.regent.ctl.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.ctl.api.Gateway;
import io.regent.ctl.output.Table;
import io.regent.events.OperationUpdated;
import io.regent.events.TopologyChanged;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;

@Command(name = "list", description = "Every cluster: engine, replication, leader, epoch and health.")
public final class ListCommand extends CtlCommand {

    /** One cluster as {@code list} prints it (JSON and YAML carry these fields). */
    record ClusterLine(String clusterId, String engine, String replication, String leader, long epoch, int nodes,
            boolean maintenance, String health, String healthReason) {
    }

    @Override
    public Integer call() {
        Gateway gateway = gateway();
        List<ClusterLine> lines = new ArrayList<>();
        for (JsonNode cluster : gateway.get(path("clusters"))) {
            TopologyChanged topology = Gateway.convert(cluster, TopologyChanged.class);
            Views.Health health = health(gateway, topology);
            lines.add(new ClusterLine(topology.clusterId(), topology.engine() == null ? null
                    : topology.engine().name(), topology.replication().mode() + (topology.replication().syncCount() > 0
                    ? " " + topology.replication().syncCount() : ""), topology.leader(), topology.epoch(),
                    topology.nodes().size(), topology.maintenance(), health.state(), health.reason()));
        }
        printer().print(lines, () -> {
            Table table = new Table("Clusters", "CLUSTER", "ENGINE", "REPLICATION", "LEADER", "EPOCH", "NODES",
                    "MAINTENANCE", "HEALTH");
            lines.forEach(line -> table.row(line.clusterId(), line.engine(), line.replication(), line.leader(),
                    line.epoch(), line.nodes(), line.maintenance() ? "on" : "", line.health() + ": "
                            + line.healthReason()));
            return lines.isEmpty() ? "No clusters registered (an admin adds one: regentctl add-cluster).\n"
                    : table.render();
        });
        return 0;
    }

    /** The cluster's health from what the agents last reported and its newest operation. */
    static Views.Health health(Gateway gateway, TopologyChanged topology) {
        Map<String, JsonNode> newest = Views.newestByNode(gateway.get(path("clusters", topology.clusterId(),
                "observations")));
        JsonNode page = gateway.get(path("clusters", topology.clusterId(), "operations") + "?page=0&size=1");
        Optional<OperationUpdated> newestOp = page.path("items").isEmpty() ? Optional.empty()
                : Optional.of(Gateway.convert(page.path("items").get(0), OperationUpdated.class));
        return Views.health(topology, newest, newestOp);
    }
}
