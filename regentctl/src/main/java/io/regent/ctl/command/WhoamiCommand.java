package io.regent.ctl.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.regent.ctl.api.Gateway;
import picocli.CommandLine.Command;

@Command(name = "whoami", description = "Who the gateway takes you for, and your Regent roles.")
public final class WhoamiCommand extends CtlCommand {

    @Override
    public Integer call() {
        JsonNode me = gateway().get("/api/v1/me");
        printer().print(me, () -> me.path("name").asText() + " on " + root.server() + ": "
                + String.join(", ", Gateway.JSON.convertValue(me.path("roles"), String[].class)) + "\n");
        return 0;
    }
}
