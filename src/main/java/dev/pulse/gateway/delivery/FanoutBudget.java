package dev.pulse.gateway.delivery;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import jakarta.inject.Singleton;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.observability.GatewayMetrics;
import io.micrometer.core.instrument.Tags;

/**
 * How much fan-out is in flight: messages handed to connections and not yet flushed to their sockets, on this
 * replica and per tenant, and how late the oldest queued write is for its event loop. Publishers ask it before
 * an event is fanned out; past {@code pulse.events.max-in-flight} (or the tenant's {@code max-in-flight-per-tenant}),
 * or with a queued write later than {@code pulse.events.max-queue-delay} (past its loop's flush interval), the event is
 * refused, so the backlog, and with it the delay of every delivered event, stays bounded whatever rate is offered. The
 * refusal names a retry delay.
 *
 * <p>Counted with {@link LongAdder}s: incremented and decremented once per message per recipient on many threads,
 * summed once per publish.
 */
@Singleton
public class FanoutBudget {

    /** How long a refused publisher should wait: about what the event loops need to flush a full backlog. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final LongAdder inFlight = new LongAdder();
    private final Map<String, LongAdder> inFlightByTenant = new ConcurrentHashMap<>();
    private final long maxInFlight;
    private final long maxInFlightPerTenant;
    private final long maxQueueDelayNanos;
    private final WriteQueues queues;

    public FanoutBudget(PulseConfig config, GatewayMetrics metrics, WriteQueues queues) {
        this.maxInFlight = config.events().maxInFlight();
        this.maxInFlightPerTenant = config.events().maxInFlightPerTenant();
        this.maxQueueDelayNanos = config.events().maxQueueDelay().toNanos();
        this.queues = queues;
        metrics.gauge("pulse.fanout.in.flight", "Messages written to connections and not yet flushed to their sockets",
                Tags.empty(), this::inFlight, null);
        metrics.gauge("pulse.fanout.backlog",
                "How late the oldest write queued on an event loop is (past its loop's flush interval)",
                Tags.empty(), () -> queues.backlogNanos() / 1e9, "seconds");
    }

    /** Empty when a new event of this tenant may be fanned out now; otherwise how long to wait before trying again. */
    public Optional<Duration> refusal(String tenant) {
        boolean replicaFull = maxInFlight > 0 && inFlight.sum() >= maxInFlight
                || maxQueueDelayNanos > 0 && queues.backlogNanos() > maxQueueDelayNanos;
        LongAdder tenantInFlight = inFlightByTenant.get(tenant);
        boolean tenantFull = maxInFlightPerTenant > 0 && tenantInFlight != null
                && tenantInFlight.sum() >= maxInFlightPerTenant;
        return replicaFull || tenantFull ? Optional.of(RETRY_AFTER) : Optional.empty();
    }

    /** Messages in flight on this replica now. */
    public long inFlight() {
        return inFlight.sum();
    }

    /** One message handed to a connection; {@code tenantInFlight} is its tenant's {@link #tenantCounter}. */
    void started(LongAdder tenantInFlight) {
        inFlight.increment();
        tenantInFlight.increment();
    }

    /** Messages {@link #started} counted were flushed, or failed. */
    void finished(LongAdder tenantInFlight, int messages) {
        inFlight.add(-messages);
        tenantInFlight.add(-messages);
    }

    /** One adder per tenant that ever had a message in flight (tenants are few; the adders are small). */
    LongAdder tenantCounter(String tenant) {
        LongAdder adder = inFlightByTenant.get(tenant);
        return adder != null ? adder : inFlightByTenant.computeIfAbsent(tenant, t -> new LongAdder());
    }
}
