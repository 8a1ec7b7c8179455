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
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code switchover} and {@code failover}: asks with the leader and epoch it saw, and sends that epoch as
 * {@code expectedEpoch} - if the cluster changed between the question and the answer, the request is refused
 * (409) instead of acting on a cluster the person did not confirm.
 */
public abstract class LeaderChangeCommand extends CtlCommand {

    @Parameters(index = "0", paramLabel = "CLUSTER", description = "The cluster's id.")
    String cluster;

    @Option(names = "--candidate", paramLabel = "NODE",
            description = "The follower to promote (default: the failover-service picks the best one).")
    String candidate;

    @Mixin
    RequestOptions request = new RequestOptions();

    abstract String command();

    abstract String question(TopologyChanged topology);

    @Override
    public Integer call() {
        Gateway gateway = gateway();
        TopologyChanged topology = gateway.get(path("clusters", cluster, "topology"), TopologyChanged.class);
        if (request.expectedEpoch == null) {
            request.expectedEpoch = topology.epoch();
        }
        if (candidate != null && topology.nodes().stream().noneMatch(node -> node.name().equals(candidate))) {
            throw new CtlException(ExitCodes.USAGE, cluster + " has no node " + candidate + "; its nodes are "
                    + topology.nodes().stream().map(node -> node.name()).toList());
        }
        root.confirm(question(topology));
        JsonNode accepted = gateway.send("POST", path("clusters", cluster, command()),
                fields("candidate", candidate, "expectedEpoch", request.expectedEpoch, "reason", request.reason));
        return Requests.report(root, accepted, request.await, request.timeoutOr(Duration.ofMinutes(2)), this::finished);
    }

    String finished(OperationUpdated operation) {
        return operation.kind() + " of " + operation.clusterId() + " done: leader " + operation.toNode()
                + ", epoch " + operation.epochAfter();
    }

    @Command(name = "switchover", description = "Hand the leader role to a follower: writes pause, the "
            + "follower catches up, then takes over; nothing acknowledged is lost.")
    public static final class Switchover extends LeaderChangeCommand {
        @Override
        String command() {
            return "switchover";
        }

        @Override
        String question(TopologyChanged topology) {
            return "Switch over " + topology.clusterId() + " (epoch " + request.expectedEpoch + ") from leader "
                    + (topology.leader() == null ? "(none)" : topology.leader()) + " to " + (candidate == null ? "the best follower" : candidate)
                    + "? Writes pause for a few seconds.";
        }
    }

    @Command(name = "failover", description = "Promote a follower because the leader is lost for good. While "
            + "agents still reach the leader, it is carried out as a switchover instead.")
    public static final class Failover extends LeaderChangeCommand {
        @Override
        String command() {
            return "failover";
        }

        @Override
        String question(TopologyChanged topology) {
            return "Fail over " + topology.clusterId() + " (epoch " + request.expectedEpoch + ", leader "
                    + (topology.leader() == null ? "none" : topology.leader()) + ") to " + (candidate == null ? "the best follower" : candidate) + "? The leader is fenced.";
        }
    }
}
