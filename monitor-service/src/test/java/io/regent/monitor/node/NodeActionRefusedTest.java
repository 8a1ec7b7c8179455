package io.regent.monitor.node;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A refusal is problem+json; one that passes by itself says when to ask again. */
class NodeActionRefusedTest {

    private final NodeActionRefused.Mapper mapper = new NodeActionRefused.Mapper();

    @Test
    void aBusyNodeTellsTheCallerWhenToAskAgain() {
        Response response = mapper.toResponse(new NodeActionRefused(409, "Node busy", "another action is running",
                LocalNodeAgent.BUSY_RETRY_AFTER));
        assertThat(response.getStatus()).isEqualTo(409);
        assertThat(response.getHeaderString("Retry-After")).isEqualTo("2");
        assertThat(response.getMediaType().toString()).isEqualTo("application/problem+json");
        @SuppressWarnings("unchecked")
        Map<String, Object> problem = (Map<String, Object>) response.getEntity();
        assertThat(problem).containsEntry("title", "Node busy")
                .containsEntry("detail", "another action is running");
    }

    @Test
    void aRefusalThatWillNotPassHasNoRetryAfter() {
        Response response = mapper.toResponse(new NodeActionRefused(409, "Stale epoch", "decided at epoch 3"));
        assertThat(response.getHeaderString("Retry-After")).isNull();
    }

    @Test
    void aSubSecondWaitIsRoundedUpToOneSecond() {
        Response response = mapper.toResponse(new NodeActionRefused(409, "Topology not known yet", "retry",
                Duration.ofMillis(300)));
        assertThat(response.getHeaderString("Retry-After")).isEqualTo("1");
    }
}
