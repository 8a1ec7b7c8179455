package io.regent.ctl.command;

import picocli.CommandLine.Command;

/**
 * The access token regentctl would send now (refreshed if it was about to expire), for a tool that needs one:
 * curl, or an application reading the gateway's live feed ({@code REGENT_TOKEN}).
 */
@Command(name = "token", description = {"Print the access token of the current sign-in (refreshed when it is about "
        + "to expire), for curl or an application: REGENT_TOKEN=\"$(regentctl token)\".",
        "It grants what your roles grant: never paste it anywhere it could be kept."})
public final class TokenCommand extends CtlCommand {

    @Override
    public Integer call() {
        root.environment().out().println(root.credentials().bearer());
        return 0;
    }
}
