package io.regent.devstack.demo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/** What must hold before anything starts, so that a failure leaves nothing behind. */
public final class Preflight {

    private Preflight() {
    }

    /** The demo's ports that something else already listens on (loopback). */
    public static List<DemoLayout.Port> busyPorts(List<DemoLayout.Port> ports) {
        List<DemoLayout.Port> busy = new ArrayList<>();
        for (DemoLayout.Port port : ports) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true); // a port in TIME_WAIT from the previous run is free
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port.number()), 1);
            } catch (IOException e) {
                busy.add(port);
            }
        }
        return busy;
    }

    /** The message for busy ports: which, what they are for, and what to do. */
    public static String busyMessage(List<DemoLayout.Port> busy) {
        StringBuilder text = new StringBuilder("The demo needs these loopback ports, but something already listens on them:\n");
        for (DemoLayout.Port port : busy) {
            text.append(String.format("  127.0.0.1:%d  (for the %s)%n", port.number(), port.what()));
        }
        text.append("Stop what uses them (`ss -ltnp 'sport = :").append(busy.get(0).number())
                .append("'` shows the process) - a demo still running elsewhere stops with Ctrl-C or "
                        + "`./regent demo stop` - and run ./regent demo again. Nothing was started.");
        return text.toString();
    }
}
