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

/**
 * Pushes alert changes as they happen: the trigger of {@code db/migration/V4__alert_notifications.sql} notifies the tenant id,
 * and this replica, if it has alert subscribers of that tenant, re-reads the tenant's list once (however many
 * subscribers) and pushes it to those whose list changed. Notifications that arrive during a re-read are folded into
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

    public InstantAlerts(Watchers watchers, PostgresBus bus, ConnectionRegistry registry, AlertService alerts, GatewayMetrics metrics) {
        this.watchers = watchers;
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
        var feed = watchers.alertFeed(tenant);
        if (feed.isEmpty()) {
            metrics.alertNotification("ignored");
            return;
        }
        metrics.alertNotification("refreshed");
        refresh(feed.get());
    }

    private void catchUp() {
        watchers.alertFeeds().forEach(this::refresh);
    }

    private void refresh(AlertFeed feed) {
        String tenant = feed.tenant();
        if (!reading.add(tenant)) {
            changedWhileReading.add(tenant);
            return;
        }
        alerts.refresh(feed).onTermination().invoke(() -> {
            reading.remove(tenant);
            if (changedWhileReading.remove(tenant)) {
                refresh(feed);
            }
        }).subscribe().with(ignored -> { }, failure -> LOG.debugf("Alert re-read after a notification failed: %s",
                failure.getMessage()));
    }
}
