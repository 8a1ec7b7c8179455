package io.regent.devstack.demo;

import java.io.PrintStream;

/** One line per step, with the time since the start: the demo's progress at the terminal. */
public final class Progress {

    private final PrintStream out;
    private final long started = System.nanoTime();

    public Progress(PrintStream out) {
        this.out = out;
    }

    public synchronized void step(String text) {
        out.printf("[%5.1fs] %s%n", (System.nanoTime() - started) / 1e9, text);
        out.flush();
    }

    public synchronized void line(String text) {
        out.println(text);
        out.flush();
    }

    public double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }
}
