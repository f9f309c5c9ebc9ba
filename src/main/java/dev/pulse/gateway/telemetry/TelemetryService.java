package dev.pulse.gateway.telemetry;

import java.util.List;
import java.util.concurrent.Executor;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.observability.SourceHealth;
import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.registry.DeviceWatch;
import dev.pulse.gateway.registry.GatewaySession;
import io.smallrye.mutiny.infrastructure.Infrastructure;

/** Device subscriptions: indexes them, serves the latest point at once on subscribe, and publishes new points. */
@ApplicationScoped
public class TelemetryService {

    private static final Logger LOG = Logger.getLogger(TelemetryService.class);

    private final ConnectionRegistry registry;
    private final TelemetrySource source;
    private final ServerMessages messages;
    private final Delivery delivery;
    private final SourceHealth health;
    private final Executor blocking = Infrastructure.getDefaultWorkerPool();

    public TelemetryService(ConnectionRegistry registry, TelemetrySource source, ServerMessages messages,
            Delivery delivery, SourceHealth health) {
        this.health = health;
        this.registry = registry;
        this.source = source;
        this.messages = messages;
        this.delivery = delivery;
    }

    /** Registers the subscription. Call {@link #sendLatest} after the confirmation has been sent. */
    public DeviceWatch subscribe(GatewaySession session, String deviceId) {
        return registry.subscribeDevice(session, deviceId);
    }

    /**
     * Sends the device's latest point to a new subscriber without waiting for the next poll: from memory when another
     * connection already watches the device, otherwise by reading it once (off the event loop).
     */
    public void sendLatest(GatewaySession session, DeviceWatch watch) {
        health.greet(GatewayMetrics.INFLUXDB, session);
        watch.catchUp(session, delivery::send);
        if (watch.claimInitialRead()) {
            blocking.execute(() -> readOnce(watch));
        }
    }

    public boolean unsubscribe(GatewaySession session, String deviceId) {
        return registry.unsubscribeDevice(session, deviceId);
    }

    /** Sends {@code point} to the watch's subscribers that have not had it; serializes it once, only when new. */
    public void publish(DeviceWatch watch, TelemetryPoint point) {
        if (watch.isNewer(point.time())) {
            OutboundMessage message = messages.telemetry(point.deviceId(), point.time(), point.metrics());
            watch.publish(new DeviceWatch.LatestPoint(point.time(), message), delivery::send);
        }
    }

    private void readOnce(DeviceWatch watch) {
        try {
            for (TelemetryPoint point : source.latestPoints(watch.tenant(), List.of(watch.deviceId()))) {
                publish(watch, point);
            }
        } catch (TelemetrySourceException e) {
            // The next poll retries; the poller owns reporting the source's health.
            LOG.debugf("Initial read of a device failed: %s", e.getMessage());
        }
    }
}
