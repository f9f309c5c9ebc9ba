package dev.pulse.gateway.alerts;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import dev.pulse.gateway.registry.Watchers;
import dev.pulse.gateway.alerts.AlertService;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.registry.AlertFeed;
import dev.pulse.gateway.registry.ConnectionRegistry;
import io.quarkus.runtime.StartupEvent;
import dev.pulse.gateway.cluster.PostgresBus;
import dev.pulse.gateway.cluster.PollOwnership;

/**
 * Pushes alert changes as they happen: the trigger of {@code db/migration/V4__alert_notifications.sql} notifies the tenant id,
 * and the replica that owns the tenant's reads ({@link PollOwnership}; without shared polls, every replica with alert
 * subscribers of that tenant) re-reads the tenant's list once (however many subscribers), pushes it to those whose
 * list changed and relays it to the other replicas. Notifications that arrive during a re-read are folded into
 * one more re-read. After (re)connecting, every subscribed tenant is re-read, catching up on what was missed.
 */
@ApplicationScoped
public class InstantAlerts {

    private static final Logger LOG = Logger.getLogger(InstantAlerts.class);

    private final Watchers watchers;
    private final PostgresBus bus;
    private final ConnectionRegistry registry;
    private final AlertService alerts;
    private final GatewayMetrics metrics;
    private final Set<String> reading = ConcurrentHashMap.newKeySet();
    private final Set<String> changedWhileReading = ConcurrentHashMap.newKeySet();

    private final PollOwnership ownership;

    public InstantAlerts(Watchers watchers, PostgresBus bus, ConnectionRegistry registry, AlertService alerts,
            GatewayMetrics metrics, PollOwnership ownership) {
        this.watchers = watchers;
        this.ownership = ownership;
        this.bus = bus;
        this.registry = registry;
        this.alerts = alerts;
        this.metrics = metrics;
    }

    /** Before {@link PostgresBus} connects (a lower priority runs first). */
    void register(@Observes @Priority(Interceptor.Priority.APPLICATION) StartupEvent started) {
        bus.listen(PostgresBus.ALERTS_CHANNEL, this::changed, this::catchUp);
    }

    void changed(String tenant) {
        alerts.changed(tenant);
        PollOwnership.Plan plan = ownership.plan();
        PollOwnership.Owned owned = plan.owned().get(tenant);
        if (owned != null && owned.alerts()) {
            metrics.alertNotification("refreshed");
            refresh(tenant);
        } else if (watchers.alertFeed(tenant).isEmpty()) {
            metrics.alertNotification("ignored");
        } else if (!plan.reads(tenant)) {
            // The tenant's owner re-reads it and relays the list here.
            metrics.alertNotification("read_elsewhere");
        } else {
            metrics.alertNotification("refreshed");
            refresh(tenant);
        }
    }

    private void catchUp() {
        ownership.plan().alertTenantsToRead(watchers.alertFeeds().stream().map(AlertFeed::tenant).toList())
                .forEach(this::refresh);
    }

    private void refresh(String tenant) {
        if (!reading.add(tenant)) {
            changedWhileReading.add(tenant);
            return;
        }
        alerts.refresh(tenant, ownership.plan().relays(tenant)).onTermination().invoke(() -> {
            reading.remove(tenant);
            if (changedWhileReading.remove(tenant)) {
                refresh(tenant);
            }
        }).subscribe().with(ignored -> { }, failure -> LOG.debugf("Alert re-read after a notification failed: %s",
                failure.getMessage()));
    }
}
