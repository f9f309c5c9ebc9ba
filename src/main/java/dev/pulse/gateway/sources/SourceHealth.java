package dev.pulse.gateway.sources;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.registry.Watchers;
import dev.pulse.gateway.observability.DataSource;
import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.observability.GatewayMetrics;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.Startup;
import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.events.EventBroadcaster;
import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.session.GatewaySession;

/**
 * Whether each data source answered its last poll, and when to try a failing one again. A change is logged once (not
 * on every failing cycle) and told to clients: a {@code status} message to the source's subscribers (device
 * subscribers for InfluxDB, alert subscribers for PostgreSQL) and a {@code health_changed} event to every connected
 * tenant's {@code system} room. A failing source is retried after the poll interval, then twice as long each time, up
 * to {@code pulse.sources.max-backoff}.
 */
@Startup
@ApplicationScoped
public class SourceHealth {

    private static final Logger LOG = Logger.getLogger(SourceHealth.class);

    private final Watchers watchers;
    private final Map<DataSource, Backoff> states = new ConcurrentHashMap<>();
    /** Per source, the tenants whose last read by another replica failed, and when (System.nanoTime()). */
    private final Map<DataSource, Map<String, Long>> remoteFailures = new ConcurrentHashMap<>();
    /** What clients were last told about each source: failing or not. */
    private final Map<DataSource, Boolean> announced = new ConcurrentHashMap<>();
    private final EventBroadcaster events;
    private final ConnectionRegistry registry;
    private final ServerMessages messages;
    private final Delivery delivery;
    private final Map<DataSource, Long> intervalNanos;
    private final long maxBackoffNanos;
    private final Clock clock = Clock.systemUTC();

    public SourceHealth(Watchers watchers, EventBroadcaster events, ConnectionRegistry registry, ServerMessages messages,
            Delivery delivery, GatewayMetrics metrics, PulseConfig config) {
        this.watchers = watchers;
        this.events = events;
        this.registry = registry;
        this.messages = messages;
        this.delivery = delivery;
        this.intervalNanos = Map.of(DataSource.INFLUXDB, config.telemetry().pollInterval().toNanos(),
                DataSource.POSTGRESQL, config.alerts().pollInterval().toNanos());
        this.maxBackoffNanos = config.sources().maxBackoff().toNanos();
        for (DataSource source : DataSource.values()) {
            // What operators alert on: the sources health group is for people and probes, not for Prometheus.
            metrics.gauge("pulse.source.up", "1 while a data source answers its polls, 0 while it is failing",
                    Tags.of("source", source.label()), () -> isFailing(source) ? 0 : 1, null);
        }
    }

    /** Whether a poll of {@code source} should run now: always while it is healthy, on its back-off when failing. */
    public boolean due(DataSource source) {
        return states.getOrDefault(source, Backoff.HEALTHY).due(System.nanoTime());
    }

    /** Records the outcome of one poll cycle of {@code source}; {@code detail} says what failed (logs only). */
    public void report(DataSource source, boolean failed, String detail) {
        long now = System.nanoTime();
        Backoff before = states.getOrDefault(source, Backoff.HEALTHY);
        states.put(source, before.after(failed, now, intervalNanos.getOrDefault(source,
                Duration.ofSeconds(5).toNanos()), maxBackoffNanos));
        announce(source, detail);
    }

    /**
     * Another replica, which reads {@code tenant} for this one, could not read it from {@code source}: the source
     * counts as failing here until that replica relays a successful read of the tenant (or, should it never, for the
     * longest back-off and two intervals), so this replica's clients learn it. Kept per tenant, so the failures and
     * successes of different owners do not make the state flap; and apart from this replica's own back-off, so the
     * tenants this replica reads keep being read on time.
     */
    public void reportRemoteFailure(DataSource source, String tenant, String detail) {
        remoteFailures.computeIfAbsent(source, s -> new ConcurrentHashMap<>()).put(tenant, System.nanoTime());
        announce(source, detail);
    }

    /** Another replica read {@code tenant} from {@code source} for this one: a failure it reported is over. */
    public void reportRemoteSuccess(DataSource source, String tenant) {
        Map<String, Long> failures = remoteFailures.get(source);
        if (failures != null && failures.remove(tenant) != null) {
            announce(source, null);
        }
    }

    /** Once per poll cycle: announces a remote failure that expired (its owner never relayed the tenant again). */
    public void tick(DataSource source) {
        announce(source, null);
    }

    /** Logs and tells clients when whether {@code source} is failing (here or as another replica reads it) changed. */
    private synchronized void announce(DataSource source, String detail) {
        boolean failed = isFailing(source);
        if (failed == announced.getOrDefault(source, false)) {
            return;
        }
        announced.put(source, failed);
        if (failed) {
            LOG.warnf("%s poll failing: %s (retrying with back-off up to %s)", source.label(), detail,
                    Duration.ofNanos(maxBackoffNanos));
        } else {
            LOG.infof("%s poll recovered", source.label());
        }
        OutboundMessage status = messages.status(source.label(), !failed, clock.instant());
        for (GatewaySession session : subscribersOf(source)) {
            delivery.send(session, status);
        }
        // Clients learn which source and its state; the error itself (addresses, user names) stays in the logs.
        for (String tenant : registry.connectedTenants()) {
            events.healthChanged(tenant, failed ? "unavailable" : "available", Map.of("source", source.label()));
        }
    }

    /** Tells a new subscriber that its source is down, so it does not wait for data that cannot come yet. */
    public void greet(DataSource source, GatewaySession session) {
        if (isFailing(source)) {
            delivery.send(session, messages.status(source.label(), false, clock.instant()));
        }
    }

    /** Whether {@code source} is failing: this replica's own reads, or another's reads for this one lately. */
    public boolean isFailing(DataSource source) {
        if (states.getOrDefault(source, Backoff.HEALTHY).failing()) {
            return true;
        }
        Map<String, Long> failures = remoteFailures.get(source);
        if (failures == null || failures.isEmpty()) {
            return false;
        }
        long expired = System.nanoTime() - maxBackoffNanos
                - 2 * intervalNanos.getOrDefault(source, Duration.ofSeconds(5).toNanos());
        failures.values().removeIf(failedAt -> failedAt < expired);
        return !failures.isEmpty();
    }

    private Set<GatewaySession> subscribersOf(DataSource source) {
        return source == DataSource.INFLUXDB ? watchers.deviceSubscribers() : watchers.alertSubscribers();
    }
}
