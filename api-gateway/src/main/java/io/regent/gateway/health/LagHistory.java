package io.regent.gateway.health;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each follower's replication lag over the last {@code window}, one point per {@code step} at most, on this
 * gateway's clock (when it received the observation): what the dashboard's lag chart starts from after a reload,
 * before the live feed adds to it. Bounded: {@code window / step} points per node (300 by default, a few
 * megabytes per 1,000 nodes); gone with the gateway (a restarted gateway starts empty - Prometheus keeps
 * {@code regent_node_lag_bytes} for longer).
 */
public final class LagHistory {

    /** One point: when the gateway received it (epoch milliseconds) and the lag, in the engine's unit. */
    public record Point(long t, long lag) {
    }

    /** One node's points, oldest first. */
    public record Series(String node, List<Point> points) {
    }

    private final Duration window;
    private final Duration step;
    /** cluster -> node -> points, oldest first. */
    private final Map<String, Map<String, Deque<Point>>> points = new ConcurrentHashMap<>();

    LagHistory(Duration window, Duration step) {
        this.window = window;
        this.step = step;
    }

    /** A follower's lag received at {@code at}: kept when the node's last point is at least a step older. */
    void record(String cluster, String node, Instant at, long lag) {
        Deque<Point> series = points.computeIfAbsent(cluster, c -> new ConcurrentHashMap<>())
                .computeIfAbsent(node, n -> new ArrayDeque<>());
        synchronized (series) {
            long t = at.toEpochMilli();
            Point last = series.peekLast();
            if (last != null && t - last.t() < step.toMillis()) {
                return;
            }
            series.addLast(new Point(t, lag));
            long from = t - window.toMillis();
            while (!series.isEmpty() && series.peekFirst().t() < from) {
                series.removeFirst();
            }
        }
    }

    /** Every node's points of {@code cluster} within the window before {@code now}, by node name. */
    List<Series> of(String cluster, Instant now) {
        long from = now.toEpochMilli() - window.toMillis();
        Map<String, Series> byNode = new TreeMap<>();
        points.getOrDefault(cluster, Map.of()).forEach((node, series) -> {
            synchronized (series) {
                byNode.put(node, new Series(node, new ArrayList<>(series.stream().filter(p -> p.t() >= from).toList())));
            }
        });
        return List.copyOf(byNode.values());
    }

    void forget(String cluster) {
        points.remove(cluster);
    }
}
