package io.regent.ctl.command;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "remove-cluster", description = "Delete a cluster's registration (admin); only in maintenance, "
        + "so that nothing fails it over meanwhile. Its databases are not touched.")
public final class RemoveClusterCommand extends CtlCommand {

    @Parameters(index = "0", paramLabel = "CLUSTER", description = "The cluster's id.")
    String cluster;

    @Override
    public Integer call() {
        root.confirm("Remove " + cluster + " from Regent? Its databases keep running, unwatched.");
        gateway().delete(path("clusters", cluster));
        printer().print(fields("clusterId", cluster, "removed", true),
                () -> "Removed " + cluster + "\n");
        return 0;
    }
}
