package io.regent.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.regent.events.EventCodec;
import io.regent.events.TopologyChanged;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Reads the gateway's live feed (Server-Sent Events) into a {@link RegentTopology}: {@code topology}
 * events are offered as they come, {@code cluster-deleted} ones forget the cluster; the other kinds are
 * for dashboards. After a break it reconnects within a second with the last event's id.
 */
final class GatewayFeed implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(GatewayFeed.class.getName());
    private static final ObjectMapper JSON = EventCodec.objectMapper();
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final URI events;
    private final Supplier<String> accessToken;
    private final RegentTopology topology;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Stream<String> open;
    private String lastEventId;

    private GatewayFeed(URI gateway, Supplier<String> accessToken, RegentTopology topology) {
        this.events = gateway.resolve("/api/v1/events");
        this.accessToken = accessToken;
        this.topology = topology;
        this.thread = new Thread(this::run, "regent-client-gateway-feed");
        this.thread.setDaemon(true);
    }

    static GatewayFeed start(URI gateway, Supplier<String> accessToken, RegentTopology topology) {
        GatewayFeed feed = new GatewayFeed(gateway, accessToken, topology);
        feed.thread.start();
        return feed;
    }

    private void run() {
        while (running) {
            try {
                follow();
                if (running) {
                    LOG.log(System.Logger.Level.WARNING, "the gateway ended the live feed at " + events + "; reconnecting");
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    LOG.log(System.Logger.Level.WARNING, "the live feed at " + events + " failed (" + e
                            + "); reconnecting in " + RETRY.toMillis() + " ms");
                }
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(RETRY.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void follow() throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(events).GET()
                .header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + accessToken.get());
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<Stream<String>> response = http.send(request.build(), HttpResponse.BodyHandlers.ofLines());
        if (response.statusCode() != 200) {
            response.body().close();
            throw new IOException("HTTP " + response.statusCode() + (response.statusCode() == 401
                    ? " (the access token was refused: is it valid, and of a user or client with a Regent role?)" : ""));
        }
        open = response.body();
        try (Stream<String> lines = response.body()) {
            String name = "message";
            String id = null;
            StringBuilder data = new StringBuilder();
            for (Iterator<String> it = lines.iterator(); running && it.hasNext(); ) {
                String line = it.next();
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        deliver(name, data.toString());
                        if (id != null) {
                            lastEventId = id;
                        }
                    }
                    name = "message";
                    id = null;
                    data.setLength(0);
                } else if (line.startsWith("event:")) {
                    name = field(line);
                } else if (line.startsWith("id:")) {
                    id = field(line);
                } else if (line.startsWith("data:")) {
                    if (data.length() > 0) {
                        data.append('\n');
                    }
                    data.append(field(line));
                } // a comment (": keep-alive") or an unknown field: nothing to do
            }
        }
    }

    private void deliver(String name, String data) {
        try {
            if (name.equals("topology")) {
                topology.offer(JSON.readValue(data, TopologyChanged.class));
            } else if (name.equals("cluster-deleted")) {
                JsonNode deleted = JSON.readTree(data);
                topology.offerDeleted(deleted.path("clusterId").asText());
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "skipping an unreadable '" + name + "' event of the live feed: " + e);
        }
    }

    private static String field(String line) {
        String value = line.substring(line.indexOf(':') + 1);
        return value.startsWith(" ") ? value.substring(1) : value;
    }

    @Override
    public void close() {
        running = false;
        Stream<String> lines = open;
        if (lines != null) {
            lines.close(); // cancels the exchange
        }
        thread.interrupt();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
