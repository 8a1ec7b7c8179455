package io.regent.failover.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.regent.events.OperationKind;
import io.regent.events.OperationStatus;
import io.regent.events.OperationUpdated;
import io.regent.failover.cluster.Claim;
import io.regent.failover.config.FailoverConfig;
import io.regent.failover.registry.RegistryApi;
import io.regent.failover.registry.RegistryRequests;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The hold's arithmetic on a clock the test moves: a step may start only until lease - margin after its
 * check was sent - however late the registry answered, and however long the worker was paused since.
 * (The registry's side - tokens, leases on its clock, refusals - is tested against the real registry.)
 */
class OwnershipTest {

    private static final UUID OP = UUID.fromString("00000000-0000-0000-0000-0000000000aa");

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    /** How long the fake registry takes to answer, in nanos of the test clock. */
    private final AtomicLong answerTakes = new AtomicLong();
    private volatile int guardStatus = 200;

    private final Ownership ownership = new Ownership(registry(), config(Duration.ofSeconds(6), Duration.ofSeconds(1)),
            clock::get);

    @Test
    void aStepMayStartUntilLeaseMinusMarginAfterTheClaimWasSent() {
        answerTakes.set(TimeUnit.SECONDS.toNanos(2)); // a slow registry: the lease still counts from the sending
        Claim held = ownership.claim(OP, null);
        assertThat(held.token()).isEqualTo(7);

        assertThat(left(held, Duration.ofSeconds(10))).as("2 s after sending, 5 s - 2 s are left")
                .isEqualTo(Duration.ofSeconds(3));
        assertThat(left(held, Duration.ofMillis(500))).as("never more than the step asks").isEqualTo(Duration.ofMillis(500));
        advance(Duration.ofMillis(2_900));
        assertThat(left(held, Duration.ofSeconds(10))).isEqualTo(Duration.ofMillis(100));
        advance(Duration.ofMillis(100));
        assertThatThrownBy(() -> ownership.deadline(held, Duration.ofSeconds(10))).isInstanceOf(Ownership.Lapsed.class)
                .hasMessageContaining("token 7").hasMessageContaining("no step is started until it is renewed");
    }

    @Test
    void aCheckRenewsFromWhenItWasSentAndAPauseAfterItStillCounts() {
        Claim held = ownership.claim(OP, null);
        advance(Duration.ofSeconds(4));
        ownership.guard(held, "promote b");
        assertThat(left(held, Duration.ofSeconds(10))).isEqualTo(Duration.ofSeconds(5));
        // the deadline is absolute: a worker paused between taking it and using it finds it passed
        io.regent.engines.Deadline deadline = ownership.deadline(held, Duration.ofSeconds(10));
        advance(Duration.ofSeconds(6));
        assertThat(deadline.nanos() - clock.get()).as("passed by a second").isEqualTo(-TimeUnit.SECONDS.toNanos(1));
        assertThatThrownBy(() -> ownership.deadline(held, Duration.ofSeconds(10))).isInstanceOf(Ownership.Lapsed.class);
    }

    @Test
    void aRefusedCheckTellsWhy() {
        Claim held = ownership.claim(OP, null);
        guardStatus = 409;
        assertThatThrownBy(() -> ownership.guard(held, "promote b")).isInstanceOfSatisfying(Ownership.Lost.class, e -> {
            assertThat(e.code()).isEqualTo("ownership-lost");
            assertThat(e.getMessage()).isEqualTo("now held by failover-b with token 8");
        });
    }

    private Duration left(Claim held, Duration wanted) {
        return Duration.ofNanos(ownership.deadline(held, wanted).nanos() - clock.get());
    }

    private void advance(Duration duration) {
        clock.addAndGet(duration.toNanos());
    }

    private RegistryApi registry() {
        return (RegistryApi) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RegistryApi.class},
                (proxy, method, args) -> {
                    clock.addAndGet(answerTakes.get());
                    OperationUpdated op = new OperationUpdated(OP, "orders", OperationKind.FAILOVER,
                            OperationStatus.RUNNING, "a", "b", 3L, null, "system", "test", null, Instant.EPOCH, null,
                            null, null);
                    switch (method.getName()) {
                        case "claim":
                            return new RegistryRequests.Ownership(op, "failover-a", 7, 6_000, 3, "a");
                        case "guard":
                            if (guardStatus != 200) {
                                throw new WebApplicationException(Response.status(guardStatus)
                                        .type(MediaType.APPLICATION_JSON_TYPE)
                                        .entity(Map.of("code", "ownership-lost", "detail",
                                                "now held by failover-b with token 8")).build());
                            }
                            return new RegistryRequests.Ownership(op, "failover-a", 7, 6_000, 3, "a");
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    private static FailoverConfig config(Duration lease, Duration margin) {
        return (FailoverConfig) Proxy.newProxyInstance(OwnershipTest.class.getClassLoader(),
                new Class<?>[] {FailoverConfig.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "instanceId" -> "failover-a";
                    case "ownershipLease" -> lease;
                    case "ownershipMargin" -> margin;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
