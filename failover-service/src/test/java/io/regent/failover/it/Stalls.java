package io.regent.failover.it;

import io.regent.testkit.Testkit;
import io.regent.testkit.quarkus.QuarkusService;

/** The false-alarm scenario both engines' failover tests run: nothing in it may cause a failover. */
final class Stalls {

    private Stalls() {
    }

    /**
     * Freezes one agent for four detection windows, then stalls the leader three times for 1 s (less
     * than the 1.5 s window) with 2.5 s between, then waits 3 s more for a decision that must not come.
     */
    static void blindAnAgentThenStallTheLeader(QuarkusService agent, Runnable freezeLeader, Runnable thawLeader) {
        agent.process().freeze();
        try {
            Testkit.sleep(6_000);
        } finally {
            agent.process().thaw();
        }
        for (int stall = 0; stall < 3; stall++) {
            freezeLeader.run();
            try {
                Testkit.sleep(1_000);
            } finally {
                thawLeader.run();
            }
            Testkit.sleep(2_500);
        }
        Testkit.sleep(3_000);
    }
}
