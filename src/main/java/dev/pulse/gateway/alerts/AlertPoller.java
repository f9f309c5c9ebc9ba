package dev.pulse.gateway.alerts;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.registry.Watchers;
import dev.pulse.gateway.cluster.PollOwnership;
import dev.pulse.gateway.observability.DataSource;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.sources.PollerHeartbeats;
import dev.pulse.gateway.sources.SourceHealth;
import dev.pulse.gateway.registry.AlertFeed;
import dev.pulse.gateway.registry.ConnectionRegistry;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * Reads each subscribed tenant's open alerts once per interval, one query per tenant whatever the number of
 * subscribers (and with several replicas, on one replica only: {@link PollOwnership}), and pushes lists that changed. Non-blocking (reactive client); cycles never overlap.
 */
@ApplicationScoped
public class AlertPoller {

    private static final Logger LOG = Logger.getLogger(AlertPoller.class);

    /** Tenants read at the same time; bounds the PostgreSQL connections one cycle takes from the pool. */
    private static final int CONCURRENT_TENANTS = 4;

    private final Watchers watchers;
    private final ConnectionRegistry registry;
    private final AlertService alerts;
    private final GatewayMetrics metrics;
    private final SourceHealth health;
    private final PollerHeartbeats heartbeats;

    private final PollOwnership ownership;

    public AlertPoller(Watchers watchers, ConnectionRegistry registry, AlertService alerts, GatewayMetrics metrics, SourceHealth health,
            PollerHeartbeats heartbeats, PollOwnership ownership) {
        this.watchers = watchers;
        this.ownership = ownership;
        ownership.onTakeOver(this::readTakenOver);
        this.heartbeats = heartbeats;
        this.registry = registry;
        this.alerts = alerts;
        this.metrics = metrics;
        this.health = health;
    }

    /** Tenants this replica has just taken over are read at once (alert changes may have waited for an owner). */
    private void readTakenOver(PollOwnership.Plan plan, Set<String> tenants) {
        if (!health.due(DataSource.POSTGRESQL)) {
            return;
        }
        Multi.createFrom().iterable(tenants)
                .filter(tenant -> plan.owned().containsKey(tenant) && plan.owned().get(tenant).alerts())
                .onItem().transformToUni(tenant -> alerts.refresh(tenant, true).onFailure().recoverWithUni(error -> {
                    LOG.debugf("Alert read of a tenant taken over failed: %s", error.getMessage());
                    return Uni.createFrom().voidItem();
                }))
                .merge(CONCURRENT_TENANTS)
                .subscribe().with(done -> { }, failure -> { });
    }

    @Scheduled(identity = "alert-poller", every = "${pulse.alerts.poll-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> poll() {
        return pollIfDue().onTermination().invoke(() -> heartbeats.beat(DataSource.POSTGRESQL));
    }

    private Uni<Void> pollIfDue() {
        // Before anything that may return early: lists of tenants nobody subscribes to any more are dropped on time.
        alerts.expireReadings();
        health.tick(DataSource.POSTGRESQL);
        if (!health.due(DataSource.POSTGRESQL)) {
            return Uni.createFrom().voidItem();
        }
        PollOwnership.Plan plan = ownership.plan();
        Set<String> tenants = plan.alertTenantsToRead(watchers.alertFeeds().stream().map(AlertFeed::tenant).toList());
        long started = System.nanoTime();
        if (tenants.isEmpty()) {
            metrics.pollCycle(DataSource.POSTGRESQL, Duration.ofNanos(System.nanoTime() - started), true);
            if (plan.shared() && !plan.elsewhere().isEmpty()) {
                // All read by other replicas: see TelemetryPoller; a failure from before sharing ends here.
                health.report(DataSource.POSTGRESQL, false, null);
            }
            return Uni.createFrom().voidItem();
        }
        AtomicReference<String> failure = new AtomicReference<>();
        return Multi.createFrom().iterable(tenants)
                .onItem().transformToUni(tenant -> alerts.refresh(tenant, plan.relays(tenant))
                        // Progress keeps readiness, however long a slow PostgreSQL makes the cycle.
                        .onTermination().invoke(() -> heartbeats.beat(DataSource.POSTGRESQL))
                        .onFailure().recoverWithUni(error -> {
                    failure.compareAndSet(null, String.valueOf(error.getMessage()));
                    metrics.pollFailure(DataSource.POSTGRESQL);
                    LOG.debugf("Alert poll of a tenant failed: %s", error.getMessage());
                    return Uni.createFrom().voidItem();
                }))
                .merge(CONCURRENT_TENANTS)
                .collect().last()
                .invoke(() -> {
                    metrics.pollCycle(DataSource.POSTGRESQL, Duration.ofNanos(System.nanoTime() - started),
                            failure.get() == null);
                    health.report(DataSource.POSTGRESQL, failure.get() != null, failure.get());
                })
                .replaceWithVoid();
    }
}
