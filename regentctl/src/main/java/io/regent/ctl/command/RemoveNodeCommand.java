package io.regent.ctl.command;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "remove-node", description = "Remove a node from a cluster (admin); never the leader - switch "
        + "over first.")
public final class RemoveNodeCommand extends CtlCommand {

    @Parameters(index = "0", paramLabel = "CLUSTER", description = "The cluster's id.")
    String cluster;

    @Parameters(index = "1", paramLabel = "NODE", description = "The node's name.")
    String node;

    @Override
    public Integer call() {
        root.confirm("Remove " + node + " from " + cluster + "? Regent stops watching and routing to it.");
        gateway().delete(path("clusters", cluster, "nodes", node));
        printer().print(fields("clusterId", cluster, "node", node, "removed", true),
                () -> "Removed " + node + " from " + cluster + "\n");
        return 0;
    }
}
