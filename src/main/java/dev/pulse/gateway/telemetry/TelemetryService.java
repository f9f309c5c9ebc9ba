package dev.pulse.gateway.telemetry;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.registry.Watchers;
import dev.pulse.gateway.observability.DataSource;
import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.sources.SourceHealth;
import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.registry.DeviceWatch;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.sources.FirstReads;
import dev.pulse.gateway.cluster.PollResultRelay;
import dev.pulse.gateway.protocol.Identifiers;
import io.vertx.core.Vertx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Device subscriptions: indexes them, serves the latest point at once on subscribe, and publishes new points.
 *
 * <p>The latest point for a new subscriber comes from memory when another connection already watches the device or
 * when the tenant's latest poll read it less than one interval ago; otherwise the device joins the tenant's coalesced
 * first read ({@link FirstReads}), so subscribe/unsubscribe loops cannot multiply InfluxDB queries.
 */
@ApplicationScoped
public class TelemetryService {

    private static final Logger LOG = Logger.getLogger(TelemetryService.class);
    /** The {@code kind} of telemetry poll results relayed between replicas. */
    static final String RELAYED_KIND = "telemetry";
    /** How long a tenant's first reads wait for others to join: at most one first-read query per tenant per window. */
    static final Duration FIRST_READ_WINDOW = Duration.ofMillis(100);

    private final Watchers watchers;
    private final ConnectionRegistry registry;
    private final TelemetrySource source;
    private final ServerMessages messages;
    private final Delivery delivery;
    private final SourceHealth health;
    private final int batchSize;
    private final FirstReads<DeviceWatch.LatestPoint> firstReads;
    private final PollResultRelay relay;
    private final ObjectMapper mapper;

    public TelemetryService(Watchers watchers, ConnectionRegistry registry, TelemetrySource source, ServerMessages messages,
            Delivery delivery, SourceHealth health, InfluxReaders readers, Vertx vertx, PollResultRelay relay,
            ObjectMapper mapper, PulseConfig config) {
        this.watchers = watchers;
        this.relay = relay;
        this.mapper = mapper;
        relay.onReceived(RELAYED_KIND, this::relayed);
        this.health = health;
        this.registry = registry;
        this.source = source;
        this.messages = messages;
        this.delivery = delivery;
        this.batchSize = Math.max(1, config.telemetry().maxDevicesPerQuery());
        this.firstReads = new FirstReads<>(config.telemetry().pollInterval(), FIRST_READ_WINDOW,
                (delay, flush) -> vertx.setTimer(delay, timer -> readers.execute(flush)), this::readFirst,
                System::nanoTime);
    }

    /** Registers the subscription. Call {@link #sendLatest} after the confirmation has been sent. */
    public DeviceWatch subscribe(GatewaySession session, String deviceId) {
        return watchers.subscribeDevice(session, deviceId);
    }

    /**
     * Sends the device's latest point to a new subscriber without waiting for the next poll: from memory when it is
     * known, otherwise by the tenant's next coalesced first read (off the event loop).
     */
    public void sendLatest(GatewaySession session, DeviceWatch watch) {
        health.greet(DataSource.INFLUXDB, session);
        latest(session, watch);
    }

    private void latest(GatewaySession session, DeviceWatch watch) {
        watch.catchUp(session, delivery::send);
        if (watch.claimInitialRead()) {
            FirstReads.Reading<DeviceWatch.LatestPoint> recent = firstReads.fresh(watch.tenant(), watch.deviceId());
            if (recent == null) {
                firstReads.request(watch.tenant(), watch.deviceId());
            } else if (recent.value() != null) {
                watch.publish(recent.value(), delivery::send);
            }
        }
    }

    /** {@link #sendLatest(GatewaySession, DeviceWatch)} for the devices of one list-form subscribe: one greeting. */
    public void sendLatest(GatewaySession session, List<DeviceWatch> watches) {
        health.greet(DataSource.INFLUXDB, session);
        watches.forEach(watch -> latest(session, watch));
    }

    public boolean unsubscribe(GatewaySession session, String deviceId) {
        return watchers.unsubscribeDevice(session, deviceId);
    }

    /** Sends {@code point} to the watch's subscribers that have not had it; serializes it once, only when new. */
    public void publish(DeviceWatch watch, TelemetryPoint point) {
        if (watch.isNewer(point.time())) {
            OutboundMessage message = messages.telemetry(point.deviceId(), point.time(), point.metrics());
            watch.publish(new DeviceWatch.LatestPoint(point.time(), message), delivery::send);
        }
    }

    /**
     * What a poll of {@code tenant} read: published to this replica's watchers of those devices (each gets a point
     * only if newer than the last it was sent), remembered for new subscribers, and, when other replicas watch the
     * tenant too, relayed to them with each point's full-precision time (the watermark that keeps them from sending
     * a point twice when ownership moves).
     */
    public void polled(String tenant, List<TelemetryPoint> points, boolean relayToOthers) {
        List<DeviceWatch> watches = new ArrayList<>();
        for (TelemetryPoint point : points) {
            watchers.deviceWatch(tenant, point.deviceId()).ifPresent(watch -> {
                publish(watch, point);
                watches.add(watch);
            });
        }
        readJustNow(tenant, watches);
        if (relayToOthers) {
            ObjectNode result = mapper.createObjectNode();
            ArrayNode relayed = result.putArray("points");
            for (TelemetryPoint point : points) {
                relayed.addObject().put("device_id", point.deviceId()).put("time", point.time().toString())
                        .set("metrics", point.metrics());
            }
            relay.send(RELAYED_KIND, tenant, result);
        }
    }

    /** A poll of {@code tenant} failed on this replica: the other replicas that watch it learn the source is down. */
    public void pollFailed(String tenant, String detail, boolean relayToOthers) {
        if (relayToOthers) {
            relay.send(RELAYED_KIND, tenant, mapper.createObjectNode().put("failed", String.valueOf(detail)));
        }
    }

    /** A poll result another replica read for this tenant; points of devices nobody watches here are dropped. */
    private void relayed(String tenant, JsonNode result) {
        if (!watchers.watchesDevicesOf(tenant)) {
            // Every replica hears every result: one for a tenant nobody here watches concerns nobody here.
            return;
        }
        if (result.hasNonNull("failed")) {
            health.reportRemoteFailure(DataSource.INFLUXDB, tenant, "read by another replica: "
                    + result.path("failed").asText());
            return;
        }
        List<DeviceWatch> watches = new ArrayList<>();
        for (JsonNode point : result.path("points")) {
            String device = point.path("device_id").asText("");
            Optional<Instant> time = parseInstant(point.path("time").asText(""));
            if (!Identifiers.isValidDeviceId(device) || time.isEmpty() || !point.path("metrics").isObject()) {
                continue;
            }
            watchers.deviceWatch(tenant, device).ifPresent(watch -> {
                publish(watch, new TelemetryPoint(device, time.get(), (ObjectNode) point.get("metrics")));
                watches.add(watch);
            });
        }
        readJustNow(tenant, watches);
        health.reportRemoteSuccess(DataSource.INFLUXDB, tenant);
    }

    private static Optional<Instant> parseInstant(String text) {
        try {
            return Optional.of(Instant.parse(text));
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Remembers that these watches were just read (by a poll): new subscribers are served from them for an interval. */
    public void readJustNow(String tenant, Collection<DeviceWatch> watches) {
        for (DeviceWatch watch : watches) {
            firstReads.record(tenant, watch.deviceId(), watch.latest());
        }
    }

    /** Once per poll cycle: forgets readings older than an interval. */
    public void expireReadings() {
        firstReads.expire();
    }

    /** One coalesced first read of a tenant's newly watched devices, in batches; runs on a worker thread. */
    private void readFirst(String tenant, Set<String> deviceIds) {
        List<String> devices = new ArrayList<>(deviceIds);
        for (int from = 0; from < devices.size(); from += batchSize) {
            List<String> batch = devices.subList(from, Math.min(devices.size(), from + batchSize));
            try {
                Map<String, TelemetryPoint> found = new HashMap<>();
                for (TelemetryPoint point : source.latestPoints(tenant, batch)) {
                    found.put(point.deviceId(), point);
                }
                for (String device : batch) {
                    TelemetryPoint point = found.get(device);
                    Optional<DeviceWatch> watch = watchers.deviceWatch(tenant, device);
                    if (watch.isPresent()) {
                        if (point != null) {
                            publish(watch.get(), point);
                        }
                        firstReads.record(tenant, device, watch.get().latest());
                    } else {
                        // Unsubscribed while the read was pending (churn): remembered all the same, so the next
                        // subscribe within the interval is served from memory instead of reading again.
                        firstReads.record(tenant, device, point == null ? null : new DeviceWatch.LatestPoint(
                                point.time(), messages.telemetry(device, point.time(), point.metrics())));
                    }
                }
            } catch (TelemetrySourceException e) {
                // The next poll retries; the poller owns reporting the source's health.
                LOG.debugf("First read of %d devices failed: %s", batch.size(), e.getMessage());
            }
        }
    }
}
