package dev.pulse.gateway.telemetry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.registry.DeviceWatch;
import io.quarkus.scheduler.Scheduled;

/**
 * Reads the latest point of every watched device once per interval: one InfluxQL query per tenant (more only past
 * {@code pulse.telemetry.max-devices-per-query} devices), however many connections watch them. Runs on a worker
 * thread because the InfluxDB client blocks; cycles never overlap.
 */
@ApplicationScoped
public class TelemetryPoller {

    private static final Logger LOG = Logger.getLogger(TelemetryPoller.class);

    private final ConnectionRegistry registry;
    private final TelemetrySource source;
    private final TelemetryService telemetry;
    private final GatewayMetrics metrics;
    private final int batchSize;
    private volatile boolean sourceFailing;

    public TelemetryPoller(ConnectionRegistry registry, TelemetrySource source, TelemetryService telemetry,
            GatewayMetrics metrics, PulseConfig config) {
        this.registry = registry;
        this.source = source;
        this.telemetry = telemetry;
        this.metrics = metrics;
        this.batchSize = Math.max(1, config.telemetry().maxDevicesPerQuery());
    }

    @Scheduled(identity = "telemetry-poller", every = "${pulse.telemetry.poll-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void poll() {
        long started = System.nanoTime();
        Map<String, Collection<DeviceWatch>> watched = registry.deviceWatchesByTenant();
        boolean failed = false;
        for (Map.Entry<String, Collection<DeviceWatch>> tenant : watched.entrySet()) {
            for (List<DeviceWatch> batch : batches(tenant.getValue())) {
                failed |= !pollBatch(tenant.getKey(), batch);
            }
        }
        if (!watched.isEmpty()) {
            metrics.pollCycle(GatewayMetrics.INFLUXDB, Duration.ofNanos(System.nanoTime() - started));
            reportHealth(failed);
        }
    }

    private boolean pollBatch(String tenant, List<DeviceWatch> batch) {
        Map<String, DeviceWatch> byDevice = new HashMap<>();
        for (DeviceWatch watch : batch) {
            byDevice.put(watch.deviceId(), watch);
        }
        try {
            for (TelemetryPoint point : source.latestPoints(tenant, new ArrayList<>(byDevice.keySet()))) {
                DeviceWatch watch = byDevice.get(point.deviceId());
                if (watch != null) {
                    telemetry.publish(watch, point);
                }
            }
            return true;
        } catch (TelemetrySourceException e) {
            metrics.pollFailure(GatewayMetrics.INFLUXDB);
            if (!sourceFailing) {
                LOG.warnf("Telemetry poll failed: %s", e.getMessage());
            }
            return false;
        }
    }

    /** Logs a failing source once when it starts failing and once when it recovers, not on every cycle. */
    private void reportHealth(boolean failed) {
        if (failed && !sourceFailing) {
            sourceFailing = true;
        } else if (!failed && sourceFailing) {
            sourceFailing = false;
            LOG.info("Telemetry poll recovered");
        }
    }

    private List<List<DeviceWatch>> batches(Collection<DeviceWatch> watches) {
        List<List<DeviceWatch>> batches = new ArrayList<>();
        List<DeviceWatch> current = new ArrayList<>(Math.min(batchSize, watches.size()));
        for (DeviceWatch watch : watches) {
            current.add(watch);
            if (current.size() == batchSize) {
                batches.add(current);
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) {
            batches.add(current);
        }
        return batches;
    }
}
