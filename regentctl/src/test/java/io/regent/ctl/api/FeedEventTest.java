package io.regent.ctl.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Server-Sent Events as the gateway writes them (WHATWG event stream format). */
class FeedEventTest {

    @Test
    void kindIdAndJsonData() {
        FeedEvent.Builder builder = new FeedEvent.Builder();
        builder.line(": keep-alive");
        builder.line("id: 42");
        builder.line("event: topology");
        builder.line("data: {\"clusterId\":\"pg\",");
        builder.line("data:\"epoch\":3}");
        FeedEvent event = builder.build();
        assertThat(event.kind()).isEqualTo("topology");
        assertThat(event.id()).isEqualTo("42");
        assertThat(event.data().path("epoch").asInt()).isEqualTo(3);
    }

    @Test
    void withoutAnEventFieldItIsAMessageAndTextStaysText() {
        FeedEvent.Builder builder = new FeedEvent.Builder();
        builder.line("data: hello");
        FeedEvent event = builder.build();
        assertThat(event.kind()).isEqualTo("message");
        assertThat(event.data().asText()).isEqualTo("hello");
    }
}
