package io.regent.gateway.rest;

import io.regent.gateway.feed.LiveFeed;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;

/**
 * The live feed as Server-Sent Events: {@code topology} (a cluster's new topology),
 * {@code operation} (an operation's new state, phases included), {@code health} (a node's
 * reachability and role, on change and at most every few seconds), {@code cluster-deleted}. Each
 * event's id is its sequence number; reconnecting with {@code Last-Event-ID} resumes without a gap.
 */
@Path("/api/v1/events")
public class EventsResource {

    private final LiveFeed feed;

    public EventsResource(LiveFeed feed) {
        this.feed = feed;
    }

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RolesAllowed({Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN})
    public void subscribe(@Context SseEventSink sink, @Context Sse sse, @QueryParam("cluster") String cluster,
            @HeaderParam("Last-Event-ID") String lastEventId) {
        Long after = null;
        if (lastEventId != null && !lastEventId.isBlank()) {
            try {
                after = Long.parseLong(lastEventId.strip());
            } catch (NumberFormatException e) {
                throw new ProblemException(400, "Invalid Last-Event-ID", "Last-Event-ID must be the id of an event "
                        + "this feed sent (a number), not '" + lastEventId + "'");
            }
        }
        feed.subscribe(sink, sse, cluster == null || cluster.isBlank() ? null : cluster, after);
    }
}
