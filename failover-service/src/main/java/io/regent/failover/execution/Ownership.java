package io.regent.failover.execution;

import io.regent.engines.Deadline;
import io.regent.failover.cluster.Claim;
import io.regent.failover.config.FailoverConfig;
import io.regent.failover.registry.RegistryApi;
import io.regent.failover.registry.RegistryRequests;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.WebApplicationException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.eclipse.microprofile.rest.client.inject.RestClient;

/**
 * This instance's hold on an operation: a claim in the registry with a fencing token and a lease,
 * renewed by the check before every step. The lease's end is computed on this process's monotonic
 * clock from the moment the request was <em>sent</em> - the registry started the lease on its own clock
 * later than that - so this instance always believes its lease ends no later than the registry does.
 * A step is started only while more than the margin remains: a worker paused past its lease (GC, SIGSTOP,
 * a stalled VM) wakes up to find it has no budget left and touches no database.
 */
@ApplicationScoped
public class Ownership {

    /** The registry says this instance no longer holds the operation (or it ended, or the epoch moved). */
    public static final class Lost extends RuntimeException {
        private final String code;
        private final long retryAfterMillis;

        Lost(String code, String detail, long retryAfterMillis) {
            super(detail, null, false, false);
            this.code = code;
            this.retryAfterMillis = retryAfterMillis;
        }

        /** {@code owned}, {@code ownership-lost}, {@code operation-finished}, {@code epoch-moved}. */
        public String code() {
            return code;
        }

        /** For {@code owned}: when the other holder's lease runs out at the latest. */
        public long retryAfterMillis() {
            return retryAfterMillis;
        }
    }

    /** This instance's own clock says its lease may have run out: it must not act until it renewed it. */
    public static final class Lapsed extends RuntimeException {
        Lapsed(String detail) {
            super(detail, null, false, false);
        }
    }

    private final RegistryApi registry;
    private final FailoverConfig config;
    private final LongSupplier nanoTime;

    @Inject
    public Ownership(@RestClient RegistryApi registry, FailoverConfig config) {
        this(registry, config, System::nanoTime);
    }

    Ownership(RegistryApi registry, FailoverConfig config, LongSupplier nanoTime) {
        this.registry = registry;
        this.config = config;
        this.nanoTime = nanoTime;
    }

    /**
     * Takes the operation over with a new token, or renews {@code current} (this instance's own claim,
     * kept while it owns the cluster). Throws {@link Lost} while another instance's lease runs.
     */
    public Claim claim(UUID operationId, Claim current) {
        long sent = nanoTime.getAsLong();
        try {
            RegistryRequests.Ownership answer = registry.claim(operationId, new RegistryRequests.Claim(
                    config.instanceId(), config.ownershipLease().toMillis(), current == null ? null : current.token()));
            return new Claim(operationId, answer.ownerToken(), answer.operation(), answer.epoch(), usableUntil(sent));
        } catch (WebApplicationException e) {
            throw lost(e);
        }
    }

    /**
     * The registry's check right before {@code step}: still held, still running, epoch unchanged. Renews
     * the lease; throws {@link Lost} when the registry refuses.
     */
    public void guard(Claim held, String step) {
        long sent = nanoTime.getAsLong();
        try {
            registry.guard(held.operationId(), new RegistryRequests.Guard(held.token(), step,
                    config.ownershipLease().toMillis()));
        } catch (WebApplicationException e) {
            throw lost(e);
        }
        held.usableUntil(usableUntil(sent));
    }

    /**
     * When a step must have started its changes: {@code wanted} from now, but never past what is left of
     * the lease. Absolute, so a pause between here and the database still counts. Throws {@link Lapsed}
     * when nothing is left.
     */
    public Deadline deadline(Claim held, Duration wanted) {
        long now = nanoTime.getAsLong();
        long left = held.usableUntilNanos() - now;
        if (left <= 0) {
            throw new Lapsed("the hold on operation " + held.operationId() + " (token " + held.token() + ") may have "
                    + "run out " + Duration.ofNanos(-left).toMillis() + " ms ago on this instance's clock (paused?): "
                    + "no step is started until it is renewed");
        }
        return new Deadline(now + Math.min(left, wanted.toNanos()));
    }

    private long usableUntil(long sentNanos) {
        return sentNanos + config.ownershipLease().minus(config.ownershipMargin()).toNanos();
    }

    private static RuntimeException lost(WebApplicationException e) {
        if (e.getResponse().getStatus() != 409) {
            return e;
        }
        String code = "conflict";
        String detail = e.getMessage();
        long retryAfter = 0;
        Object entity;
        try {
            entity = e.getResponse().readEntity(Map.class);
        } catch (RuntimeException unreadable) {
            entity = e.getResponse().getEntity(); // a response built here, not read from the wire
        }
        if (entity instanceof Map<?, ?> problem) {
            code = String.valueOf(problem.containsKey("code") ? problem.get("code") : code);
            detail = String.valueOf(problem.containsKey("detail") ? problem.get("detail") : detail);
            if (problem.get("retryAfterMillis") instanceof Number n) {
                retryAfter = n.longValue();
            }
        }
        return new Lost(code, detail, retryAfter);
    }
}
