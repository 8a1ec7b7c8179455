package io.regent.devstack.demo;

import io.regent.testkit.Testkit;
import java.time.Duration;
import java.util.function.Supplier;

/** Polling for something the stack does by itself, with a budget and a message that says what never came. */
public final class Await {

    private Await() {
    }

    /** The first non-null value of {@code condition}, polled every {@code pollMillis}; a {@link DemoException} after {@code budget}. */
    public static <T> T until(String what, Duration budget, long pollMillis, Supplier<T> condition) {
        long deadline = System.nanoTime() + budget.toNanos();
        while (System.nanoTime() < deadline) {
            T value = condition.get();
            if (value != null) {
                return value;
            }
            Testkit.sleep(pollMillis);
        }
        throw new DemoException("waited " + budget.toSeconds() + " s for " + what + ", in vain");
    }

    /**
     * Like {@link #until}, where {@code condition} returns why it is not there yet (null once it is): the last reason
     * goes into the message after the budget, so a run that gives up says what stayed wrong.
     */
    public static void untilNoReason(String what, Duration budget, long pollMillis, Supplier<String> whyNot) {
        long deadline = System.nanoTime() + budget.toNanos();
        String reason = null;
        while (System.nanoTime() < deadline) {
            reason = whyNot.get();
            if (reason == null) {
                return;
            }
            Testkit.sleep(pollMillis);
        }
        throw new DemoException("waited " + budget.toSeconds() + " s for " + what + ", in vain: " + reason);
    }
}
