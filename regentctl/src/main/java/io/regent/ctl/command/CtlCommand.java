package io.regent.ctl.command;

import io.regent.ctl.RegentCtl;
import io.regent.ctl.api.Gateway;
import io.regent.ctl.output.Printer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ParentCommand;

/** A subcommand: its parent holds the global options, the session and the gateway. */
abstract class CtlCommand implements Callable<Integer> {

    @ParentCommand
    RegentCtl root;

    Gateway gateway() {
        return root.gateway();
    }

    Printer printer() {
        return root.printer();
    }

    /** A JSON object of the given name/value pairs, in that order, leaving out null values. */
    static Map<String, Object> fields(Object... pairs) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            if (pairs[i + 1] != null) {
                fields.put((String) pairs[i], pairs[i + 1]);
            }
        }
        return fields;
    }

    static String path(String... segments) {
        StringBuilder path = new StringBuilder("/api/v1");
        for (String segment : segments) {
            path.append('/').append(Gateway.encode(segment));
        }
        return path.toString();
    }
}
