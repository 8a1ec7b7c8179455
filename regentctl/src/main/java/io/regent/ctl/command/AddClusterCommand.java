package io.regent.ctl.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import io.regent.ctl.api.Gateway;
import io.regent.ctl.output.Printer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "add-cluster", description = "Register a cluster with its nodes (admin), from flags or from a "
        + "YAML/JSON file holding the API's request body (docs/api.md).")
public final class AddClusterCommand extends CtlCommand {

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "The cluster as YAML or JSON; flags "
            + "given too override its fields.")
    Path file;

    @Option(names = "--id", paramLabel = "ID", description = "A slug: lower-case letters, digits and '-'.")
    String id;

    @Option(names = "--display-name", paramLabel = "NAME", description = "For people (default: the id).")
    String displayName;

    @Option(names = "--engine", paramLabel = "ENGINE", description = "postgresql or mariadb.")
    String engine;

    @Option(names = "--replication", paramLabel = "MODE", description = "async, or sync (SYNC_ANY) with "
            + "--sync-count.")
    String replication;

    @Option(names = "--sync-count", paramLabel = "N", description = "Synchronous standbys that must confirm a "
            + "commit (with --replication sync; default 1).")
    Integer syncCount;

    @Option(names = "--node", paramLabel = "NAME=HOST:PORT[,zone=Z][,priority=P]",
            description = "A node (repeat for each).")
    List<String> nodes = new ArrayList<>();

    @Option(names = "--leader", paramLabel = "NODE", description = "The node that leads now.")
    String leader;

    @Option(names = "--credentials-ref", paramLabel = "REF", description = "Where the agents find the nodes' "
            + "credentials (e.g. a Kubernetes secret).")
    String credentialsRef;

    @Option(names = "--no-automatic-failover", description = "Register with automatic failover off.")
    boolean manual;

    @Override
    public Integer call() {
        ObjectNode body = file == null ? Gateway.JSON.createObjectNode() : read(file);
        put(body, "id", id);
        put(body, "displayName", displayName != null ? displayName : body.hasNonNull("displayName") ? null : id);
        put(body, "engine", engine == null ? null : engine.toUpperCase(Locale.ROOT));
        put(body, "credentialsRef", credentialsRef);
        if (replication != null) {
            String mode = switch (replication.toLowerCase(Locale.ROOT)) {
                case "async" -> "ASYNC";
                case "sync", "sync_any", "sync-any" -> "SYNC_ANY";
                default -> throw new CtlException(ExitCodes.USAGE, "--replication " + replication + ": use async or "
                        + "sync");
            };
            ObjectNode replicationNode = body.putObject("replication").put("mode", mode);
            replicationNode.put("syncCount", mode.equals("ASYNC") ? 0 : syncCount == null ? 1 : syncCount);
        }
        if (manual) {
            JsonNode policy = body.path("failoverPolicy");
            (policy.isObject() ? (ObjectNode) policy : body.putObject("failoverPolicy")).put("automatic", false);
        }
        if (!nodes.isEmpty()) {
            ArrayNode array = body.putArray("nodes");
            nodes.forEach(spec -> array.add(NodeSpec.parse(spec)));
        }
        if (leader != null) {
            boolean found = false;
            for (JsonNode node : body.path("nodes")) {
                boolean isLeader = leader.equals(node.path("name").asText());
                ((ObjectNode) node).put("role", isLeader ? "LEADER" : "FOLLOWER");
                found |= isLeader;
            }
            if (!found) {
                throw new CtlException(ExitCodes.USAGE, "--leader " + leader + " is not one of the nodes");
            }
        }
        if (!body.hasNonNull("id")) {
            throw new CtlException(ExitCodes.USAGE, "which cluster? Give --id (and --engine, --node ...) or a file "
                    + "with -f");
        }
        JsonNode created = gateway().send("POST", path("clusters"), body);
        Printer printer = printer();
        printer.print(created, () -> "Registered " + created.path("id").asText(body.path("id").asText()) + " with "
                + body.path("nodes").size() + " node(s); see it with: regentctl topology "
                + body.path("id").asText() + "\n");
        return 0;
    }

    static ObjectNode read(Path file) {
        try {
            JsonNode tree = file.toString().endsWith(".json") ? Gateway.JSON.readTree(file.toFile())
                    : Printer.yaml().readTree(file.toFile());
            if (tree == null || !tree.isObject()) {
                throw new CtlException(ExitCodes.USAGE, file + " does not hold an object (a mapping of fields)");
            }
            return (ObjectNode) tree;
        } catch (IOException e) {
            throw new CtlException(ExitCodes.USAGE, "cannot read " + file + ": " + e.getMessage().lines().findFirst()
                    .orElse(""));
        }
    }

    private static void put(ObjectNode body, String field, String value) {
        if (value != null) {
            body.put(field, value);
        }
    }
}
