package io.regent.testkit;

import io.regent.testkit.kafka.KafkaBroker;
import io.regent.testkit.postgres.PostgresCluster;

/**
 * Run as a separate JVM by {@link NoOrphanProcessesTest}: starts a broker and a cluster, says
 * where, then waits to be killed - the way a test JVM dies when CI or a developer kills it.
 */
public final class ServersInChildJvm {

    private ServersInChildJvm() {
    }

    public static void main(String[] args) throws InterruptedException {
        KafkaBroker broker = KafkaBroker.start();
        PostgresCluster cluster = PostgresCluster.builder().name("orphan").nodes(2).start();
        System.out.println("RUN_DIR=" + Testkit.get().runDirectory());
        System.out.println("REAPER_PID=" + Testkit.get().reaperPid());
        System.out.println("BROKER=" + broker.bootstrapServers() + " LEADER_PID=" + cluster.initialLeader().pid());
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
