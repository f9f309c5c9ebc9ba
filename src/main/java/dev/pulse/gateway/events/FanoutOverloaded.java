package dev.pulse.gateway.events;

import java.time.Duration;

/**
 * An event was refused because this replica's fan-out is at its bound ({@link dev.pulse.gateway.delivery.FanoutBudget}:
 * a queued write later than {@code pulse.events.max-queue-delay} past its flush interval, or as many messages in
 * flight as {@code pulse.events.max-in-flight}, or the tenant's {@code max-in-flight-per-tenant}, allows): it was
 * delivered to nobody. Retry after {@link #retryAfter()}, as {@code POST /ws/broadcast} tells its callers with 429 and
 * {@code Retry-After}.
 */
public class FanoutOverloaded extends RuntimeException {

    private final transient Duration retryAfter;

    public FanoutOverloaded(String tenant, Duration retryAfter) {
        super("Fan-out for tenant " + tenant + " is at its bound; the event was not delivered; retry in "
                + retryAfter.toMillis() + " ms");
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
