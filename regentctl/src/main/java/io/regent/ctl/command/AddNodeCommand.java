package io.regent.ctl.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import io.regent.ctl.api.Gateway;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "add-node", description = "Add a node to a cluster as a follower (admin), from flags or a "
        + "YAML/JSON file.")
public final class AddNodeCommand extends CtlCommand {

    @Parameters(index = "0", paramLabel = "CLUSTER", description = "The cluster's id.")
    String cluster;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NODE", description = "The node's name (a slug).")
    String name;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "The node as YAML or JSON (name, host, "
            + "port, zone, priority, tags); flags given too override its fields.")
    Path file;

    @Option(names = "--host", paramLabel = "HOST", description = "Where applications and followers reach it.")
    String host;

    @Option(names = "--port", paramLabel = "PORT", description = "Its TCP port.")
    Integer port;

    @Option(names = "--zone", paramLabel = "ZONE", description = "Its failure domain.")
    String zone;

    @Option(names = "--priority", paramLabel = "N", description = "Election priority, 0 = never leader "
            + "(default 100).")
    Integer priority;

    @Option(names = "--tag", paramLabel = "TAG", description = "A label (repeat for more).")
    List<String> tags = new ArrayList<>();

    @Override
    public Integer call() {
        ObjectNode body = file == null ? Gateway.JSON.createObjectNode() : AddClusterCommand.read(file);
        if (name != null) {
            body.put("name", name);
        }
        if (host != null) {
            body.put("host", host);
        }
        if (port != null) {
            body.put("port", port);
        }
        if (zone != null) {
            body.put("zone", zone);
        }
        if (priority != null) {
            body.put("priority", priority);
        }
        if (!tags.isEmpty()) {
            tags.forEach(body.putArray("tags")::add);
        }
        if (!body.hasNonNull("name")) {
            throw new CtlException(ExitCodes.USAGE, "which node? Give its name after the cluster (or in the file)");
        }
        JsonNode created = gateway().send("POST", path("clusters", cluster, "nodes"), body);
        printer().print(created, () -> "Added " + body.path("name").asText() + " to " + cluster + " as a follower\n");
        return 0;
    }
}
