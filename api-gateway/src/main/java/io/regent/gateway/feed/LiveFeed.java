package io.regent.gateway.feed;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.regent.events.TopologyChanged;
import io.regent.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The live feed behind {@code GET /api/v1/events}: every event gets the next sequence number (the
 * SSE id) and is kept in a bounded window of recent events. A client that reconnects with
 * {@code Last-Event-ID} inside the window gets exactly what it missed; a new client, or one whose
 * id fell out of the window, first gets every cluster's current topology (numbered with the current
 * sequence), so it never holds a stale picture. Publishing and subscribing share one lock, so a
 * subscriber sees each event once and in order.
 */
@ApplicationScoped
public class LiveFeed {

    private static final Logger LOG = Logger.getLogger(LiveFeed.class);

    /** An event of the feed. */
    public record Item(long seq, String kind, String clusterId, Object data) {
    }

    private record Subscriber(SseEventSink sink, Sse sse, String cluster) {
        boolean wants(Item item) {
            return cluster == null || cluster.equals(item.clusterId());
        }
    }

    private final GatewayConfig config;
    private final ArrayDeque<Item> recent = new ArrayDeque<>();
    private final Map<String, TopologyChanged> topologies = new TreeMap<>();
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private long sequence;
    private ScheduledExecutorService keepAlive;

    public LiveFeed(GatewayConfig config) {
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        keepAlive = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "regent-gateway-feed-keepalive");
            thread.setDaemon(true);
            return thread;
        });
        long every = config.feed().keepAlive().toMillis();
        keepAlive.scheduleAtFixedRate(this::ping, every, every, TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (keepAlive != null) {
            keepAlive.shutdownNow();
        }
        subscribers.forEach(s -> s.sink().close());
        subscribers.clear();
    }

    /** Appends an event and sends it to every subscriber that wants it. */
    public synchronized void publish(String kind, String clusterId, Object data) {
        Item item = new Item(++sequence, kind, clusterId, data);
        recent.addLast(item);
        while (recent.size() > config.feed().window()) {
            recent.removeFirst();
        }
        if (data instanceof TopologyChanged topology) {
            topologies.put(topology.clusterId(), topology);
        }
        for (Subscriber subscriber : subscribers) {
            if (subscriber.wants(item)) {
                send(subscriber, item);
            }
        }
    }

    /** A cluster was deleted: it leaves the snapshot new subscribers get. */
    public synchronized void forget(String clusterId) {
        topologies.remove(clusterId);
    }

    /**
     * Adds a subscriber, first sending what it missed since {@code lastEventId} or, without one (or
     * when it fell out of the window), the current topology of every cluster it wants.
     */
    public synchronized void subscribe(SseEventSink sink, Sse sse, String cluster, Long lastEventId) {
        Subscriber subscriber = new Subscriber(sink, sse, cluster);
        boolean resumable = lastEventId != null && lastEventId <= sequence
                && (recent.isEmpty() ? lastEventId == sequence : lastEventId >= recent.getFirst().seq() - 1);
        if (resumable) {
            for (Item item : recent) {
                if (item.seq() > lastEventId && subscriber.wants(item)) {
                    send(subscriber, item);
                }
            }
        } else {
            for (TopologyChanged topology : topologies.values()) {
                Item snapshot = new Item(sequence, "topology", topology.clusterId(), topology);
                if (subscriber.wants(snapshot)) {
                    send(subscriber, snapshot);
                }
            }
        }
        subscribers.add(subscriber);
    }

    public int subscribers() {
        return subscribers.size();
    }

    private void send(Subscriber subscriber, Item item) {
        if (subscriber.sink().isClosed()) {
            subscribers.remove(subscriber);
            return;
        }
        OutboundSseEvent event = subscriber.sse().newEventBuilder().id(Long.toString(item.seq())).name(item.kind())
                .mediaType(MediaType.APPLICATION_JSON_TYPE).data(item.data()).build();
        subscriber.sink().send(event).whenComplete((ignored, error) -> {
            if (error != null) {
                subscribers.remove(subscriber); // the client went away
                LOG.debugf("feed subscriber dropped: %s", error.toString());
            }
        });
    }

    /** A comment line now and then: proxies keep the stream open and a vanished client is noticed. */
    private void ping() {
        for (Subscriber subscriber : subscribers) {
            if (subscriber.sink().isClosed()) {
                subscribers.remove(subscriber);
            } else {
                subscriber.sink().send(subscriber.sse().newEventBuilder().comment("keep-alive").build())
                        .whenComplete((ignored, error) -> {
                            if (error != null) {
                                subscribers.remove(subscriber);
                            }
                        });
            }
        }
    }
}
