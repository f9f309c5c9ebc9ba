package dev.pulse.gateway.observability;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.inject.Singleton;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.registry.ConnectionRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;

/**
 * Pulse's own meters, all under {@code pulse_}. Labels are bounded: endpoints, message types, close codes, sources and
 * failure reasons, never devices, rooms or connections; tenants only with {@code pulse.metrics.tenant-labels}. The
 * README's metrics table documents each one. Created at start-up so the gauges are scraped before any client
 * connects; the counters on per-message paths are registered once, not looked up per message.
 *
 * <p>
 * {@code @Singleton}, not {@code @ApplicationScoped}: called once per message per recipient, and a client proxy's
 * context lookup showed in the fan-out profile (src/bench). Nothing here needs lazy creation or a proxy.
 */
@Startup
@Singleton
public class GatewayMetrics {

    public static final String INFLUXDB = "influxdb";
    public static final String POSTGRESQL = "postgresql";
    public static final String[] ENDPOINTS = { "api_v2", "ws", "rooms" };

    private final MeterRegistry registry;
    private final boolean tenantLabels;
    private final Map<OutboundMessage.Kind, Counter> sentByKind = new EnumMap<>(OutboundMessage.Kind.class);
    private final Counter bytesSent;
    private final Counter sendFailures;
    private final DistributionSummary broadcastRecipients;
    private final Map<String, AtomicLong> lastPollSuccess = new ConcurrentHashMap<>();
    /**
     * Micrometer holds a gauge's state object weakly: a lambda or method reference held nowhere else is collected at
     * the next GC and the gauge reads NaN. Every gauge state that is not a bean is kept here.
     */
    private final java.util.List<Object> gaugeStates = new java.util.concurrent.CopyOnWriteArrayList<>();

    public GatewayMetrics(MeterRegistry registry, ConnectionRegistry connections, PulseConfig config) {
        this.registry = registry;
        this.tenantLabels = config.metrics().tenantLabels();
        if (!tenantLabels) {
            // Prometheus wants one set of label names per metric: with tenant labels, these are registered per tenant.
            for (OutboundMessage.Kind kind : OutboundMessage.Kind.values()) {
                sentByKind.put(kind, sentCounter(kind, Tags.empty()));
            }
        }
        this.bytesSent = Counter.builder("pulse.sent").baseUnit("bytes")
                .description("Bytes of messages written to clients").register(registry);
        this.sendFailures = Counter.builder("pulse.send.failures")
                .description("Messages that could not be written to a connection").register(registry);
        this.broadcastRecipients = DistributionSummary.builder("pulse.broadcast.recipients")
                .description("Local connections one broadcast reached").register(registry);
        gaugeStates.add(connections);
        for (String endpoint : ENDPOINTS) {
            Gauge.builder("pulse.connections.active", connections, c -> c.connectionCount(endpoint))
                    .tag("endpoint", endpoint).description("Authenticated connections open now, by endpoint")
                    .register(registry);
        }
        Gauge.builder("pulse.rooms.active", connections, ConnectionRegistry::roomCount)
                .description("Rooms with at least one member, over all tenants").register(registry);
        subscriptionGauge(connections, "device", ConnectionRegistry::deviceSubscriptionCount);
        subscriptionGauge(connections, "alerts", ConnectionRegistry::alertSubscriptionCount);
        subscriptionGauge(connections, "rooms", ConnectionRegistry::roomMembershipCount);
        subscriptionGauge(connections, "event_filters", ConnectionRegistry::eventFilterCount);
        long now = System.nanoTime();
        for (String source : new String[] { INFLUXDB, POSTGRESQL }) {
            AtomicLong last = lastPollSuccess.computeIfAbsent(source, s -> new AtomicLong(now));
            Gauge.builder("pulse.poll.last.success.age", last, l -> (System.nanoTime() - l.get()) / 1e9)
                    .baseUnit("seconds").tag("source", source)
                    .description("Seconds since the last successful poll cycle of a source (or since start)")
                    .register(registry);
        }
    }

    private void subscriptionGauge(ConnectionRegistry connections, String kind,
            java.util.function.ToDoubleFunction<ConnectionRegistry> value) {
        Gauge.builder("pulse.subscriptions.active", connections, value).tag("kind", kind)
                .description("Subscriptions held now, by kind").register(registry);
    }

    private Counter sentCounter(OutboundMessage.Kind kind, Tags extra) {
        return Counter.builder("pulse.messages.sent").tag("type", kind.label()).tags(extra)
                .description("Messages written to clients, by type").register(registry);
    }

    private Tags tenant(String tenant) {
        return tenantLabels && tenant != null ? Tags.of("tenant", tenant) : Tags.empty();
    }

    public void connectionOpened(String endpoint, String tenant) {
        Counter.builder("pulse.connections.opened").tag("endpoint", endpoint).tags(tenant(tenant))
                .description("Connections authenticated and registered").register(registry).increment();
    }

    /** The {@code code} label is one of the codes Pulse defines, or {@code client} for any other a client sends. */
    public void connectionClosed(int closeCode, String tenant) {
        Counter.builder("pulse.connections.closed").tag("code", CloseCodes.metricLabel(closeCode)).tags(tenant(tenant))
                .description("Registered connections that ended, by close code").register(registry).increment();
    }

    public void authFailure(String reason) {
        Counter.builder("pulse.auth.failures").tag("reason", reason)
                .description("Connections rejected at authentication, by reason").register(registry).increment();
    }

    /** One frame received, by what it asked for ({@code subscribe}, {@code ping}, ..., {@code invalid}). */
    public void messageReceived(String type, String tenant) {
        Counter.builder("pulse.messages.received").tag("type", type).tags(tenant(tenant))
                .description("Frames received from clients, by type").register(registry).increment();
    }

    public void messageSent(OutboundMessage message, String tenant) {
        if (tenantLabels) {
            sentCounter(message.kind(), tenant(tenant)).increment();
        } else {
            sentByKind.get(message.kind()).increment();
        }
        bytesSent.increment(message.bytes());
    }

    public void sendFailure() {
        sendFailures.increment();
    }

    /** A telemetry message held back (and possibly replaced by a newer one) for a client that reads too slowly. */
    public void conflated() {
        Counter.builder("pulse.telemetry.conflated")
                .description("Telemetry messages held back for slow readers (newest per device kept)")
                .register(registry).increment();
    }

    /** A connection closed because it did not read its messages (4009). */
    public void slowConsumerClosed() {
        Counter.builder("pulse.slow.consumers.closed")
                .description("Connections closed because they did not read their messages").register(registry)
                .increment();
    }

    /** A connection closed by the keepalive sweep: {@code ping_timeout} or {@code idle}. */
    public void keepaliveClosed(String reason) {
        Counter.builder("pulse.keepalive.closed").tag("reason", reason)
                .description("Connections closed for a missing pong or idleness, by reason").register(registry)
                .increment();
    }

    /** A connection closed for a frame that broke the protocol or the size limit, by close code (1002, 1007, 1009). */
    public void frameViolation(int closeCode) {
        Counter.builder("pulse.frames.rejected").tag("code", Integer.toString(closeCode))
                .description("Connections closed for an oversized or malformed frame, by close code")
                .register(registry).increment();
    }

    /** A frame refused by the per-connection rate limit. */
    public void rateLimited() {
        Counter.builder("pulse.rate.limited").description("Frames refused by the per-connection rate limit")
                .register(registry).increment();
    }

    /** A connection refused: {@code connect_rate}, {@code tenant}, {@code subject}, or {@code draining} at shutdown. */
    public void connectionRefused(String limit) {
        Counter.builder("pulse.connections.refused").tag("limit", limit)
                .description("Connections refused by a limit, by limit").register(registry).increment();
    }

    /** One {@code POST /ws/broadcast}: {@code accepted}, {@code invalid}, {@code unauthorized} or {@code forbidden}. */
    public void broadcastRequest(String outcome, String tenant) {
        Counter.builder("pulse.broadcast.requests").tag("outcome", outcome).tags(tenant(tenant))
                .description("Broadcast requests, by outcome").register(registry).increment();
    }

    /** One published event and how many local connections it reached. */
    public void broadcastDelivered(int recipients) {
        broadcastRecipients.record(recipients);
    }

    /** One query sent to a source (one InfluxQL request, one PostgreSQL transaction). */
    public void sourceQuery(String source) {
        Counter.builder("pulse.source.queries").tag("source", source)
                .description("Queries sent to a data source").register(registry).increment();
    }

    /** One completed poll cycle of a source; a cycle without failures also resets the last-success age. */
    public void pollCycle(String source, Duration duration, boolean succeeded) {
        Counter.builder("pulse.poll.cycles").tag("source", source)
                .description("Completed poll cycles").register(registry).increment();
        Timer.builder("pulse.poll.duration").tag("source", source)
                .description("Time one poll cycle took").register(registry).record(duration);
        if (succeeded) {
            lastPollSuccess.get(source).set(System.nanoTime());
        }
    }

    public void pollFailure(String source) {
        Counter.builder("pulse.poll.failures").tag("source", source)
                .description("Source reads that failed").register(registry).increment();
    }

    /** An event relayed between replicas: {@code sent}, {@code received}, {@code failed} (not relayed), {@code rejected}. */
    public void relayed(String outcome) {
        Counter.builder("pulse.cluster.events").tag("outcome", outcome)
                .description("Events relayed between replicas through PostgreSQL, by outcome").register(registry)
                .increment();
    }

    /** An alert change notified by PostgreSQL: {@code refreshed} (a tenant this replica serves) or {@code ignored}. */
    public void alertNotification(String outcome) {
        Counter.builder("pulse.cluster.alert.notifications").tag("outcome", outcome)
                .description("Alert change notifications from PostgreSQL, by outcome").register(registry).increment();
    }

    /** A relayed notification that was not delivered, by why: {@code unsigned}, {@code forged}, {@code stale}, ... */
    public void relayRejected(String reason) {
        Counter.builder("pulse.cluster.rejected").tag("reason", reason)
                .description("Notifications on the events channel rejected by the seal check, by reason")
                .register(registry).increment();
    }

    /** 1 while this replica listens to PostgreSQL notifications (or the cluster relay is off), 0 otherwise. */
    public void clusterListening(java.util.function.BooleanSupplier listening) {
        gaugeStates.add(listening);
        Gauge.builder("pulse.cluster.listening", listening, l -> l.getAsBoolean() ? 1 : 0)
                .description("Whether this replica receives events and alert changes from the others")
                .register(registry);
    }
}
