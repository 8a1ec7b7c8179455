package io.regent.devstack.client;

import io.regent.events.TopologyChanged;
import io.regent.events.kafka.TopologyFeed;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An application's view of one cluster's topology through {@link TopologyFeed} (the events
 * module's follower of the compacted topology topic, as clients run it), noting when each epoch
 * arrived here.
 */
public final class TopologyFollower implements AutoCloseable {

    private final AtomicReference<TopologyChanged> latest = new AtomicReference<>();
    private final Map<Long, Instant> receivedAt = new ConcurrentHashMap<>();
    private final java.util.NavigableMap<Long, TopologyChanged> byEpoch = new java.util.concurrent.ConcurrentSkipListMap<>();
    private final TopologyFeed feed;

    /** Follows {@code cluster} with {@code kafkaConfig} (bootstrap servers and an application principal's credentials). */
    public TopologyFollower(Map<String, Object> kafkaConfig, String cluster) {
        feed = TopologyFeed.start(kafkaConfig, "regent-app-bench-follower",
                topology -> {
                    if (topology.clusterId().equals(cluster)) {
                        receivedAt.putIfAbsent(topology.epoch(), Instant.now());
                        byEpoch.putIfAbsent(topology.epoch(), topology);
                        latest.accumulateAndGet(topology, (a, b) -> b.supersedes(a) ? b : a);
                    }
                }, deleted -> { });
    }

    /** The newest topology seen, or null before the first. */
    public TopologyChanged latest() {
        return latest.get();
    }

    /** When this subscriber received {@code epoch}'s topology, or null if it has not. */
    public Instant receivedAt(long epoch) {
        return receivedAt.get(epoch);
    }

    /** The first topology after {@code epoch} that names a leader other than {@code leader}, or null. */
    public TopologyChanged firstNewLeaderAfter(long epoch, String leader) {
        return byEpoch.tailMap(epoch, false).values().stream()
                .filter(t -> t.leader() != null && !t.leader().equals(leader)).findFirst().orElse(null);
    }

    @Override
    public void close() {
        feed.close();
    }
}
