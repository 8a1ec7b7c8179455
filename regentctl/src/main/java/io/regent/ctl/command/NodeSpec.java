package io.regent.ctl.command;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import io.regent.ctl.api.Gateway;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code NAME=HOST:PORT[,zone=Z][,priority=P]}: a node on one command-line argument. */
final class NodeSpec {

    private static final Pattern SPEC = Pattern.compile("([^=,\\s]+)=(\\[[^\\]]+\\]|[^:,\\s]+):(\\d{1,5})((?:,[a-z]+=[^,]*)*)");

    private NodeSpec() {
    }

    static ObjectNode parse(String spec) {
        Matcher matcher = SPEC.matcher(spec.strip());
        if (!matcher.matches()) {
            throw new CtlException(ExitCodes.USAGE, "--node " + spec + ": write NAME=HOST:PORT, optionally followed "
                    + "by ,zone=Z and ,priority=P (e.g. pg-1=10.0.0.5:5432,zone=eu-1a)");
        }
        ObjectNode node = Gateway.JSON.createObjectNode().put("name", matcher.group(1))
                .put("host", matcher.group(2).replaceAll("^\\[|\\]$", ""))
                .put("port", Integer.parseInt(matcher.group(3)));
        for (String extra : matcher.group(4).split(",")) {
            if (extra.isEmpty()) {
                continue;
            }
            String[] pair = extra.split("=", 2);
            switch (pair[0]) {
                case "zone" -> node.put("zone", pair[1]);
                case "priority" -> {
                    try {
                        node.put("priority", Integer.parseInt(pair[1]));
                    } catch (NumberFormatException e) {
                        throw new CtlException(ExitCodes.USAGE, "--node " + spec + ": priority must be a whole "
                                + "number (0 = never leader), not " + pair[1]);
                    }
                }
                default -> throw new CtlException(ExitCodes.USAGE, "--node " + spec + ": unknown setting " + pair[0]
                        + " (zone and priority are known)");
            }
        }
        return node;
    }
}
