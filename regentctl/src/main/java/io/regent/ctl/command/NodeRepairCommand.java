package io.regent.ctl.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import io.regent.ctl.api.Gateway;
import io.regent.events.OperationUpdated;
import io.regent.events.TopologyChanged;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code rejoin} and {@code rebuild} of a node that is not the leader, by the agent beside it. */
public abstract class NodeRepairCommand extends CtlCommand {

    @Parameters(index = "0", paramLabel = "CLUSTER", description = "The cluster's id.")
    String cluster;

    @Parameters(index = "1", paramLabel = "NODE", description = "The node (never the leader).")
    String node;

    @Mixin
    RequestOptions request = new RequestOptions();

    abstract String command();

    abstract String question(TopologyChanged topology);

    @Override
    public Integer call() {
        Gateway gateway = gateway();
        TopologyChanged topology = gateway.get(path("clusters", cluster, "topology"), TopologyChanged.class);
        if (topology.nodes().stream().noneMatch(n -> n.name().equals(node))) {
            throw new CtlException(ExitCodes.NOT_FOUND, cluster + " has no node " + node + "; its nodes are "
                    + topology.nodes().stream().map(n -> n.name()).toList());
        }
        if (request.expectedEpoch == null) {
            request.expectedEpoch = topology.epoch();
        }
        root.confirm(question(topology));
        JsonNode accepted = gateway.send("POST", path("clusters", cluster, "nodes", node, command()),
                fields("expectedEpoch", request.expectedEpoch, "reason", request.reason));
        return Requests.report(root, accepted, request.await, request.timeoutOr(Duration.ofMinutes(5)), this::finished);
    }

    String finished(OperationUpdated operation) {
        return operation.kind() + " of " + node + " in " + operation.clusterId() + " done";
    }

    @Command(name = "rejoin", description = "Make a node a streaming follower of the current leader again: "
            + "stopped, rewound onto the leader's timeline (a fresh copy when that is impossible), started.")
    public static final class Rejoin extends NodeRepairCommand {
        @Override
        String command() {
            return "rejoin";
        }

        @Override
        String question(TopologyChanged topology) {
            return "Rejoin " + node + " of " + cluster + " (epoch " + request.expectedEpoch + ") to leader "
                    + topology.leader() + "? It is stopped and may be rewound.";
        }
    }

    @Command(name = "rebuild", description = "Replace a node's data with a fresh copy of the leader's, whatever "
            + "it holds (the old data directory is kept beside it). PostgreSQL only.")
    public static final class Rebuild extends NodeRepairCommand {
        @Override
        String command() {
            return "rebuild";
        }

        @Override
        String question(TopologyChanged topology) {
            return "Rebuild " + node + " of " + cluster + " (epoch " + request.expectedEpoch + ") from leader "
                    + topology.leader() + "? Its data is replaced by a copy of the leader's.";
        }
    }
}
