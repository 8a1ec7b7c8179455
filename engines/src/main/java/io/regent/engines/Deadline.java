package io.regent.engines;

import java.time.Duration;

/**
 * A moment on this process's monotonic clock after which an action starts no change. Absolute, not a
 * duration: a caller that computes it, is then paused (GC, SIGSTOP, a stalled VM) and resumes still
 * finds it passed - a duration would start counting afresh after the pause. The control plane passes
 * the end of its hold on an operation, so no change reaches a database once that hold may have lapsed.
 *
 * @param nanos a {@link System#nanoTime()} value
 */
public record Deadline(long nanos) {

    /** {@code timeout} from now. */
    public static Deadline after(Duration timeout) {
        return new Deadline(System.nanoTime() + timeout.toNanos());
    }

    /** What is left of it, zero once passed. */
    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, nanos - System.nanoTime()));
    }

    public boolean passed() {
        return System.nanoTime() - nanos >= 0;
    }

    /** The earlier of the two. */
    public Deadline min(Deadline other) {
        return nanos - other.nanos <= 0 ? this : other;
    }
}
