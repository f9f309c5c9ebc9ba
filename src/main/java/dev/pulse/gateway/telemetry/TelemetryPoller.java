package dev.pulse.gateway.telemetry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.registry.Watchers;
import dev.pulse.gateway.cluster.PollOwnership;
import dev.pulse.gateway.observability.DataSource;
import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.sources.PollerHeartbeats;
import dev.pulse.gateway.sources.SourceHealth;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.registry.DeviceWatch;
import io.quarkus.scheduler.Scheduled;

/**
 * Reads the latest point of every watched device once per interval: one InfluxQL query per tenant (more only past
 * {@code pulse.telemetry.max-devices-per-query} devices), however many connections watch them, and with several
 * replicas, on one replica only ({@link PollOwnership}). The queries run on
 * {@link InfluxReaders}, {@code pulse.telemetry.poll-concurrency} at a time, because the InfluxDB client blocks; a
 * cycle ends when its last query has, and cycles never overlap.
 */
@ApplicationScoped
public class TelemetryPoller {

    private static final Logger LOG = Logger.getLogger(TelemetryPoller.class);

    private final Watchers watchers;
    private final ConnectionRegistry registry;
    private final TelemetrySource source;
    private final TelemetryService telemetry;
    private final GatewayMetrics metrics;
    private final SourceHealth health;
    private final PollerHeartbeats heartbeats;
    private final int batchSize;
    private final InfluxReaders readers;
    private final PollOwnership ownership;

    public TelemetryPoller(Watchers watchers, ConnectionRegistry registry, TelemetrySource source, TelemetryService telemetry,
            GatewayMetrics metrics, SourceHealth health, PollerHeartbeats heartbeats, InfluxReaders readers,
            PollOwnership ownership, PulseConfig config) {
        this.watchers = watchers;
        this.ownership = ownership;
        this.readers = readers;
        this.health = health;
        this.heartbeats = heartbeats;
        this.registry = registry;
        this.source = source;
        this.telemetry = telemetry;
        this.metrics = metrics;
        this.batchSize = Math.max(1, config.telemetry().maxDevicesPerQuery());
        ownership.onTakeOver(this::readTakenOver);
    }

    /** Tenants this replica has just taken over are read at once, off the event loop, outside the cycle. */
    private void readTakenOver(PollOwnership.Plan plan, Set<String> tenants) {
        for (String tenant : tenants) {
            PollOwnership.Owned owned = plan.owned().get(tenant);
            if (owned == null || owned.devices().isEmpty() || !health.due(DataSource.INFLUXDB)) {
                continue;
            }
            for (List<String> batch : batches(new TreeSet<>(owned.devices()))) {
                readers.execute(() -> pollBatch(tenant, batch, true));
            }
        }
    }

    @Scheduled(identity = "telemetry-poller", every = "${pulse.telemetry.poll-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void poll() {
        try {
            pollIfDue();
        } finally {
            heartbeats.beat(DataSource.INFLUXDB);
        }
    }

    private void pollIfDue() {
        // Before anything that may return early: readings of devices nobody watches any more are dropped on time.
        telemetry.expireReadings();
        health.tick(DataSource.INFLUXDB);
        if (!health.due(DataSource.INFLUXDB)) {
            return;
        }
        long started = System.nanoTime();
        PollOwnership.Plan plan = ownership.plan();
        Map<String, Set<String>> toRead = devicesToRead(plan);
        List<CompletableFuture<String>> reads = new ArrayList<>();
        for (Map.Entry<String, Set<String>> tenant : toRead.entrySet()) {
            boolean relay = plan.relays(tenant.getKey());
            for (List<String> batch : batches(tenant.getValue())) {
                reads.add(CompletableFuture.supplyAsync(() -> pollBatch(tenant.getKey(), batch, relay),
                        readers.executor()));
            }
        }
        // The cycle ends when every read has; cycles never overlap.
        String failure = null;
        for (CompletableFuture<String> read : reads) {
            String batchFailure = read.join();
            failure = failure == null ? batchFailure : failure;
        }
        metrics.pollCycle(DataSource.INFLUXDB, Duration.ofNanos(System.nanoTime() - started), failure == null);
        if (!toRead.isEmpty()) {
            health.report(DataSource.INFLUXDB, failure != null, failure);
        } else if (plan.shared() && !plan.elsewhere().isEmpty()) {
            // Every tenant watched here is read by another replica: nothing of this replica's own is failing (the
            // owners' failures reach it as remote ones), so a failure it had before it shared its reads ends here.
            health.report(DataSource.INFLUXDB, false, null);
        }
    }

    /**
     * Per tenant, the devices this replica reads this cycle: those its clients watch, unless another replica owns the
     * tenant ({@link PollOwnership}), and every device any replica watches of the tenants this one owns.
     */
    private Map<String, Set<String>> devicesToRead(PollOwnership.Plan plan) {
        Map<String, Set<String>> toRead = new HashMap<>();
        for (Map.Entry<String, Collection<DeviceWatch>> tenant : watchers.deviceWatchesByTenant().entrySet()) {
            if (plan.reads(tenant.getKey())) {
                Set<String> devices = toRead.computeIfAbsent(tenant.getKey(), t -> new TreeSet<>());
                tenant.getValue().forEach(watch -> devices.add(watch.deviceId()));
            }
        }
        plan.owned().forEach((tenant, owned) -> {
            if (!owned.devices().isEmpty()) {
                toRead.computeIfAbsent(tenant, t -> new TreeSet<>()).addAll(owned.devices());
            }
        });
        return toRead;
    }

    /** Reads one batch and publishes what is new (here, and to the other replicas when they watch it too). */
    private String pollBatch(String tenant, List<String> devices, boolean relay) {
        try {
            telemetry.polled(tenant, source.latestPoints(tenant, devices), relay);
            // Progress, not only the end of the cycle, keeps readiness: a slow InfluxDB makes cycles long, never
            // makes this replica look stuck (readiness must not follow a shared database).
            heartbeats.beat(DataSource.INFLUXDB);
            return null;
        } catch (TelemetrySourceException | RuntimeException e) {
            metrics.pollFailure(DataSource.INFLUXDB);
            heartbeats.beat(DataSource.INFLUXDB);
            LOG.debugf("Telemetry poll of a batch failed: %s", e.getMessage());
            telemetry.pollFailed(tenant, e.getMessage(), relay);
            return String.valueOf(e.getMessage());
        }
    }

    private List<List<String>> batches(Collection<String> devices) {
        List<List<String>> batches = new ArrayList<>();
        List<String> current = new ArrayList<>(Math.min(batchSize, devices.size()));
        for (String watch : devices) {
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
