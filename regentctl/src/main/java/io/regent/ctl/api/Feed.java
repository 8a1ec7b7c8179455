package io.regent.ctl.api;

import io.regent.ctl.CtlException;
import io.regent.ctl.ExitCodes;
import java.net.URI;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** An open live feed: events in the order the gateway sent them, each waited for with a time limit. */
public final class Feed implements AutoCloseable {

    /** What the reading thread hands over: an event, or the end of the stream (with why, if it failed). */
    private record Item(FeedEvent event, String end) {
    }

    private final Stream<String> lines;
    private final BlockingQueue<Item> items = new LinkedBlockingQueue<>();
    private final Thread reader;
    private volatile boolean closed;

    Feed(Stream<String> lines, URI server) {
        this.lines = lines;
        this.reader = new Thread(() -> read(server), "regentctl-feed");
        reader.setDaemon(true);
        reader.start();
    }

    private void read(URI server) {
        try {
            Iterator<String> it = lines.iterator();
            FeedEvent.Builder event = new FeedEvent.Builder();
            while (it.hasNext()) {
                String line = it.next();
                if (line.isEmpty()) {
                    if (event.hasData()) {
                        items.add(new Item(event.build(), null));
                    }
                    event = new FeedEvent.Builder();
                } else {
                    event.line(line);
                }
            }
            items.add(new Item(null, "the gateway at " + server + " ended the feed"));
        } catch (RuntimeException e) {
            items.add(new Item(null, closed ? "closed" : "the feed from " + server + " broke off: " + e));
        }
    }

    /** The next event, or null when none came within {@code timeout}; throws once the feed has ended. */
    public FeedEvent next(Duration timeout) throws InterruptedException {
        Item item = items.poll(Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS);
        if (item == null) {
            return null;
        }
        if (item.event() == null) {
            items.add(item); // ended for every later call too
            throw new CtlException(ExitCodes.UNAVAILABLE, item.end());
        }
        return item.event();
    }

    @Override
    public void close() {
        closed = true;
        lines.close(); // cancels the HTTP exchange
        reader.interrupt();
    }
}
