package dev.pulse.gateway.observability;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;

import dev.pulse.gateway.config.PulseConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.quarkus.runtime.Startup;

/**
 * Pulse's own meters, all under {@code pulse_}. Labels are bounded: endpoints, message types, close codes, sources and
 * failure reasons, never devices, rooms or connections; tenants only with {@code pulse.metrics.tenant-labels}. The
 * metrics table of src/docs/operations.md documents each one (DocsTest checks it). Created at start-up so the gauges are scraped before any client
 * connects; the counters on per-message paths are registered once, not looked up per message. The delay histograms
 * are {@link BatchedHistogram}s, exported beside Micrometer's meters: a fan-out observes one delay for many recipients.
 *
 * <p>
 * {@code @Singleton}, not {@code @ApplicationScoped}: called once per message per recipient, and a client proxy's
 * context lookup showed in the fan-out profile (src/bench). Nothing here needs lazy creation or a proxy.
 */
@Startup
@Singleton
public class GatewayMetrics {

    private final MeterRegistry registry;
    private final boolean tenantLabels;
    private final Map<String, Counter> sentByType = new ConcurrentHashMap<>();
    private final Counter bytesSent;
    private final Counter sendFailures;
    private final DistributionSummary broadcastRecipients;
    private final BatchedHistogram.Series eventDelay;
    private final BatchedHistogram.Series alertDelay;
    private final BatchedHistogram.Series pointAge;
    private final Map<DataSource, AtomicLong> lastPollSuccess = new EnumMap<>(DataSource.class);
    /**
     * Micrometer holds a gauge's state object weakly: a lambda or method reference held nowhere else is collected at
     * the next GC and the gauge reads NaN. Every gauge state is kept here, strongly.
     */
    private final List<Object> gaugeStates = new CopyOnWriteArrayList<>();

    public GatewayMetrics(MeterRegistry registry, Instance<PrometheusMeterRegistry> prometheus, PulseConfig config) {
        this.registry = registry;
        this.tenantLabels = config.metrics().tenantLabels();
        this.bytesSent = Counter.builder("pulse.sent").baseUnit("bytes")
                .description("Bytes of messages written to clients").register(registry);
        this.sendFailures = Counter.builder("pulse.send.failures")
                .description("Messages that could not be written to a connection").register(registry);
        this.broadcastRecipients = DistributionSummary.builder("pulse.broadcast.recipients")
                .description("Local connections one broadcast reached").register(registry);
        BatchedHistogram deliveryDelay = BatchedHistogram.seconds("pulse.delivery.delay", "type", "Time from an"
                + " event's publication (on the replica that accepted it), or from the newest alert change a list shows,"
                + " to its write to a client", DELAY_BUCKETS);
        this.eventDelay = deliveryDelay.series("event");
        this.alertDelay = deliveryDelay.series("alerts");
        BatchedHistogram pointAges = BatchedHistogram.seconds("pulse.telemetry.point.age", "", "Age of a telemetry"
                + " point when it is written to a subscriber (device-to-client freshness, poll interval included)",
                POINT_AGE_BUCKETS);
        this.pointAge = pointAges.series("");
        // The registry Micrometer's Prometheus meters are in, so /q/metrics shows these beside them (the framework's
        // CollectorRegistry bean is dependent-scoped: injecting it gives a new, unscraped one). Without the Prometheus
        // registry (its export turned off) there is no /q/metrics to show them.
        if (prometheus.isResolvable()) {
            deliveryDelay.register(prometheus.get().getPrometheusRegistry());
            pointAges.register(prometheus.get().getPrometheusRegistry());
        }
        declareBoundedSeries();
        gauge("pulse.process.resident.memory", "Resident set size of the process (JVM or native executable), from"
                + " /proc/self/status (0 where the system has no such file)", Tags.empty(), GatewayMetrics::residentBytes,
                "bytes");
        long now = System.nanoTime();
        for (DataSource source : DataSource.values()) {
            AtomicLong last = new AtomicLong(now);
            lastPollSuccess.put(source, last);
            gauge("pulse.poll.last.success.age", "Seconds since the last successful poll cycle of a source (or since"
                    + " start)", Tags.of("source", source.label()), () -> (System.nanoTime() - last.get()) / 1e9,
                    "seconds");
        }
    }

    /**
     * Registers every series whose label values are known up front, at 0. A counter that appears only at its first
     * increment hides that increment from {@code rate()} and {@code increase()} (there is no earlier sample), and an
     * alert rule over a series that does not exist yet cannot fire. Series with a tenant label come as tenants do.
     */
    private void declareBoundedSeries() {
        for (String limit : List.of("connect_rate", "tenant", "subject", "draining")) {
            refusedCounter(limit);
        }
        for (String reason : List.of("missing_token", "invalid_token", "no_tenant", "role")) {
            authFailureCounter(reason);
        }
        for (String reason : List.of("ping_timeout", "idle")) {
            keepaliveCounter(reason);
        }
        for (int code : new int[] { 1002, 1007, 1009 }) {
            frameViolationCounter(code);
        }
        for (String outcome : List.of("sent", "received", "failed", "rejected", "lost")) {
            relayCounter(outcome);
        }
        for (String outcome : List.of("refreshed", "ignored", "read_elsewhere")) {
            alertNotificationCounter(outcome);
        }
        for (String outcome : List.of("sent", "received", "failed", "rejected", "lost")) {
            pollResultsCounter(outcome);
        }
        for (String channel : List.of("pulse_events", "pulse_polls")) {
            notificationsCounter(channel);
        }
        for (DataSource source : DataSource.values()) {
            queryCounter(source);
            pollCycleCounter(source);
            pollDurationTimer(source);
            pollFailureCounter(source);
        }
        for (String via : List.of("rest", "java")) {
            throttledCounter(via);
        }
        conflatedCounter();
        slowConsumersCounter();
        rateLimitedCounter();
        if (!tenantLabels) {
            for (String outcome : List.of("accepted", "invalid", "unauthorized", "forbidden", "throttled",
                    "unavailable")) {
                broadcastRequestCounter(outcome, null);
            }
        }
    }

    /**
     * Registers {@code pulse_connections_opened_total} and {@code pulse_connections_closed_total} at 0 for every
     * endpoint and close-code label (these carry a tenant label when tenant labels are on, and then come as tenants do).
     */
    public void declareConnectionSeries(Iterable<String> endpoints, Iterable<String> closeCodes) {
        if (!tenantLabels) {
            endpoints.forEach(endpoint -> openedCounter(endpoint, null));
            closeCodes.forEach(code -> closedCounter(code, null));
        }
    }

    /** Registers {@code pulse_cluster_rejected_total} at 0 for every reason the seal check can give. */
    public void declareRelayRejectionReasons(Iterable<String> reasons) {
        reasons.forEach(this::relayRejectedCounter);
    }

    /**
     * The process's resident memory: what the container's memory limit is compared with, for the JVM and the native
     * executable alike (the JVM's own meters see only its heaps and pools).
     */
    private static long residentBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // Not Linux, or /proc not mounted: no figure.
        }
        return 0;
    }

    /** Histogram buckets of the delivery delays: from 5 ms (same-replica fan-out) to a minute (a backlog). */
    private static final Duration[] DELAY_BUCKETS = durations(5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000,
            10_000, 30_000, 60_000);
    /** Histogram buckets of telemetry point age: poll intervals are seconds, devices report every few seconds. */
    private static final Duration[] POINT_AGE_BUCKETS = durations(500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000,
            120_000, 300_000);

    private static Duration[] durations(long... millis) {
        return java.util.Arrays.stream(millis).mapToObj(Duration::ofMillis).toArray(Duration[]::new);
    }

    /**
     * Events written to {@code recipients} clients, {@code delayMillis} after their publication. Clocks of other
     * replicas and of the database may run a little ahead: a negative delay counts as 0 (here and below).
     */
    public void eventsDelivered(long delayMillis, int recipients) {
        eventDelay.record(delayMillis, recipients);
    }

    /** Alert lists written to {@code subscribers}, {@code delayMillis} after the newest alert change they show. */
    public void alertsDelivered(long delayMillis, int subscribers) {
        alertDelay.record(delayMillis, subscribers);
    }

    /** A telemetry point written to {@code subscribers}, {@code ageMillis} after its time. */
    public void pointsDelivered(long ageMillis, int subscribers) {
        pointAge.record(ageMillis, subscribers);
    }

    /**
     * Registers a gauge whose value {@code value} reads at each scrape. The supplier is held strongly here, so the
     * gauge never turns NaN after a garbage collection.
     */
    public void gauge(String name, String description, Tags tags, Supplier<Number> value, String baseUnit) {
        gaugeStates.add(value);
        Gauge.builder(name, value, supplier -> supplier.get().doubleValue()).tags(tags).description(description)
                .baseUnit(baseUnit).register(registry);
    }

    /**
     * Registers the counters of {@code pulse_messages_sent_total} for these types up front, so every series exists
     * from the start (Prometheus wants one set of label names per metric: with tenant labels they are per tenant and
     * registered as they come).
     */
    public void declareSentTypes(Iterable<String> types) {
        if (!tenantLabels) {
            types.forEach(type -> sentByType.computeIfAbsent(type, t -> sentCounter(t, Tags.empty())));
        }
    }

    private Counter sentCounter(String type, Tags extra) {
        return Counter.builder("pulse.messages.sent").tag("type", type).tags(extra)
                .description("Messages written to clients, by type").register(registry);
    }

    private Tags tenant(String tenant) {
        return tenantLabels && tenant != null ? Tags.of("tenant", tenant) : Tags.empty();
    }

    public void connectionOpened(String endpoint, String tenant) {
        openedCounter(endpoint, tenant).increment();
    }

    private Counter openedCounter(String endpoint, String tenant) {
        return Counter.builder("pulse.connections.opened").tag("endpoint", endpoint).tags(tenant(tenant))
                .description("Connections authenticated and registered").register(registry);
    }

    /** {@code code}: one of the close codes Pulse defines, or {@code client} for any other a client sends. */
    public void connectionClosed(String code, String tenant) {
        closedCounter(code, tenant).increment();
    }

    private Counter closedCounter(String code, String tenant) {
        return Counter.builder("pulse.connections.closed").tag("code", code).tags(tenant(tenant))
                .description("Registered connections that ended, by close code").register(registry);
    }

    public void authFailure(String reason) {
        authFailureCounter(reason).increment();
    }

    private Counter authFailureCounter(String reason) {
        return Counter.builder("pulse.auth.failures").tag("reason", reason)
                .description("Connections rejected at authentication, by reason").register(registry);
    }

    /**
     * The received series of every frame type exist from the start, at 0 (without tenant labels): a type's first frames
     * then show as an increase, not as a series that appears already at its value.
     */
    public void declareReceivedTypes(Iterable<String> types) {
        if (!tenantLabels) {
            types.forEach(type -> receivedCounter(type, Tags.empty()));
        }
    }

    /** One frame received, by what it asked for ({@code subscribe}, {@code ping}, ..., {@code invalid}). */
    public void messageReceived(String type, String tenant) {
        receivedCounter(type, tenant(tenant)).increment();
    }

    private Counter receivedCounter(String type, Tags extra) {
        return Counter.builder("pulse.messages.received").tag("type", type).tags(extra)
                .description("Frames received from clients, by type").register(registry);
    }

    /**
     * One message written to a client: its type ({@code telemetry}, {@code event}, ...) and size. Write runs without
     * tenant labels add their counts at once instead ({@link #messagesSent}, {@link #bytesSent}).
     */
    public void messageSent(String type, int bytes, String tenant) {
        if (tenantLabels) {
            sentCounter(type, tenant(tenant)).increment();
        } else {
            messagesSent(type, 1);
        }
        bytesSent.increment(bytes);
    }

    /** {@code count} messages of one type written to clients (without tenant labels). */
    public void messagesSent(String type, long count) {
        Counter counter = sentByType.get(type);
        if (counter == null) {
            counter = sentByType.computeIfAbsent(type, t -> sentCounter(t, Tags.empty()));
        }
        counter.increment(count);
    }

    /** Bytes of messages written to clients. */
    public void bytesSent(long bytes) {
        bytesSent.increment(bytes);
    }

    /** Whether per-message counters carry a tenant label ({@code pulse.metrics.tenant-labels}). */
    public boolean tenantLabels() {
        return tenantLabels;
    }

    public void sendFailures(int messages) {
        sendFailures.increment(messages);
    }

    /** A telemetry message held back (and possibly replaced by a newer one) for a client that reads too slowly. */
    public void conflated() {
        conflatedCounter().increment();
    }

    private Counter conflatedCounter() {
        return Counter.builder("pulse.telemetry.conflated")
                .description("Telemetry messages held back for slow readers (newest per device kept)")
                .register(registry);
    }

    /** A connection closed because it did not read its messages (4009). */
    public void slowConsumerClosed() {
        slowConsumersCounter().increment();
    }

    private Counter slowConsumersCounter() {
        return Counter.builder("pulse.slow.consumers.closed")
                .description("Connections closed because they did not read their messages").register(registry);
    }

    /** A connection closed by the keepalive sweep: {@code ping_timeout} or {@code idle}. */
    public void keepaliveClosed(String reason) {
        keepaliveCounter(reason).increment();
    }

    private Counter keepaliveCounter(String reason) {
        return Counter.builder("pulse.keepalive.closed").tag("reason", reason)
                .description("Connections closed for a missing pong or idleness, by reason").register(registry);
    }

    /** A connection closed for a frame that broke the protocol or the size limit, by close code (1002, 1007, 1009). */
    public void frameViolation(int closeCode) {
        frameViolationCounter(closeCode).increment();
    }

    private Counter frameViolationCounter(int closeCode) {
        return Counter.builder("pulse.frames.rejected").tag("code", Integer.toString(closeCode))
                .description("Connections closed for an oversized or malformed frame, by close code")
                .register(registry);
    }

    /** A frame refused by the per-connection rate limit. */
    public void rateLimited() {
        rateLimitedCounter().increment();
    }

    private Counter rateLimitedCounter() {
        return Counter.builder("pulse.rate.limited").description("Frames refused by the per-connection rate limit")
                .register(registry);
    }

    /** A connection refused: {@code connect_rate}, {@code tenant}, {@code subject}, or {@code draining} at shutdown. */
    public void connectionRefused(String limit) {
        refusedCounter(limit).increment();
    }

    private Counter refusedCounter(String limit) {
        return Counter.builder("pulse.connections.refused").tag("limit", limit)
                .description("Connections refused by a limit, by limit").register(registry);
    }

    /** One {@code POST /ws/broadcast}: {@code accepted}, {@code invalid}, {@code unauthorized} or {@code forbidden}. */
    public void broadcastRequest(String outcome, String tenant) {
        broadcastRequestCounter(outcome, tenant).increment();
    }

    private Counter broadcastRequestCounter(String outcome, String tenant) {
        return Counter.builder("pulse.broadcast.requests").tag("outcome", outcome).tags(tenant(tenant))
                .description("Broadcast requests, by outcome").register(registry);
    }

    /**
     * An event refused because fan-out was at its bound, by how it was offered: {@code rest}
     * ({@code POST /ws/broadcast}, answered 429) or {@code java} ({@code EventBroadcaster}, which threw).
     */
    public void eventsThrottled(String via) {
        throttledCounter(via).increment();
    }

    private Counter throttledCounter(String via) {
        return Counter.builder("pulse.events.throttled").tag("via", via)
                .description("Events refused because too many messages were in flight, by how they were offered")
                .register(registry);
    }

    /** One published event and how many local connections it reached. */
    public void broadcastDelivered(int recipients) {
        broadcastRecipients.record(recipients);
    }

    /** One query sent to a source (one InfluxQL request, one PostgreSQL transaction). */
    public void sourceQuery(DataSource source) {
        queryCounter(source).increment();
    }

    private Counter queryCounter(DataSource source) {
        return Counter.builder("pulse.source.queries").tag("source", source.label())
                .description("Queries sent to a data source").register(registry);
    }

    /** One completed poll cycle of a source; a cycle without failures also resets the last-success age. */
    public void pollCycle(DataSource source, Duration duration, boolean succeeded) {
        pollCycleCounter(source).increment();
        pollDurationTimer(source).record(duration);
        if (succeeded) {
            lastPollSuccess.get(source).set(System.nanoTime());
        }
    }

    private Counter pollCycleCounter(DataSource source) {
        return Counter.builder("pulse.poll.cycles").tag("source", source.label())
                .description("Completed poll cycles").register(registry);
    }

    private Timer pollDurationTimer(DataSource source) {
        return Timer.builder("pulse.poll.duration").tag("source", source.label())
                .description("Time one poll cycle took").register(registry);
    }

    public void pollFailure(DataSource source) {
        pollFailureCounter(source).increment();
    }

    private Counter pollFailureCounter(DataSource source) {
        return Counter.builder("pulse.poll.failures").tag("source", source.label())
                .description("Source reads that failed").register(registry);
    }

    /** An event relayed between replicas: {@code sent}, {@code received}, {@code failed} (not relayed), {@code rejected}. */
    public void relayed(String outcome) {
        relayCounter(outcome).increment();
    }

    /** {@link #relayed(String)} for {@code count} events at once (a batch). */
    public void relayed(String outcome, int count) {
        relayCounter(outcome).increment(count);
    }

    /** One NOTIFY sent by this replica on {@code channel}, whatever the number of items it carried. */
    public void relayNotified(String channel) {
        notificationsCounter(channel).increment();
    }

    private Counter notificationsCounter(String channel) {
        return Counter.builder("pulse.cluster.notifications").tag("channel", channel)
                .description("NOTIFYs sent to the other replicas, by channel (several items travel in one when they"
                        + " are sent together)")
                .register(registry);
    }

    /** A tenant's poll result relayed between replicas: {@code sent}, {@code received}, {@code failed}, ... */
    public void pollResultsRelayed(String outcome, int count) {
        pollResultsCounter(outcome).increment(count);
    }

    private Counter pollResultsCounter(String outcome) {
        return Counter.builder("pulse.cluster.poll.results").tag("outcome", outcome)
                .description("Poll results (one tenant, one source) relayed between replicas, by outcome")
                .register(registry);
    }

    private Counter relayCounter(String outcome) {
        return Counter.builder("pulse.cluster.events").tag("outcome", outcome)
                .description("Events relayed between replicas through PostgreSQL, by outcome").register(registry);
    }

    /** An alert change notified by PostgreSQL: {@code refreshed} (a tenant this replica serves) or {@code ignored}. */
    public void alertNotification(String outcome) {
        alertNotificationCounter(outcome).increment();
    }

    private Counter alertNotificationCounter(String outcome) {
        return Counter.builder("pulse.cluster.alert.notifications").tag("outcome", outcome)
                .description("Alert change notifications from PostgreSQL, by outcome").register(registry);
    }

    /** A relayed notification that was not delivered, by why: {@code unsigned}, {@code forged}, {@code stale}, ... */
    public void relayRejected(String reason) {
        relayRejectedCounter(reason).increment();
    }

    private Counter relayRejectedCounter(String reason) {
        return Counter.builder("pulse.cluster.rejected").tag("reason", reason)
                .description("Notifications on the events channel rejected by the seal check, by reason")
                .register(registry);
    }

    /** 1 while this replica listens to PostgreSQL notifications (or the cluster relay is off), 0 otherwise. */
    public void clusterListening(java.util.function.BooleanSupplier listening) {
        gauge("pulse.cluster.listening", "Whether this replica receives events and alert changes from the others",
                Tags.empty(), () -> listening.getAsBoolean() ? 1 : 0, null);
    }
}
