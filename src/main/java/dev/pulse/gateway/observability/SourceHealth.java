package dev.pulse.gateway.observability;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.events.EventBroadcaster;
import dev.pulse.gateway.registry.ConnectionRegistry;

/**
 * Whether each data source answered its last poll. A change is logged once (not on every failing cycle) and published
 * as a {@code health_changed} event to the {@code system} room of every connected tenant.
 */
@ApplicationScoped
public class SourceHealth {

    private static final Logger LOG = Logger.getLogger(SourceHealth.class);

    private final Map<String, Boolean> failing = new ConcurrentHashMap<>();
    private final EventBroadcaster events;
    private final ConnectionRegistry registry;

    public SourceHealth(EventBroadcaster events, ConnectionRegistry registry) {
        this.events = events;
        this.registry = registry;
    }

    /** Records the outcome of one poll cycle of {@code source}; {@code detail} says what failed. */
    public void report(String source, boolean failed, String detail) {
        Boolean before = failing.put(source, failed);
        boolean wasFailing = before != null && before;
        if (failed == wasFailing) {
            return;
        }
        if (failed) {
            LOG.warnf("%s poll failing: %s", source, detail);
        } else {
            LOG.infof("%s poll recovered", source);
        }
        // Clients learn which source and its state; the error itself (addresses, credentials' user names) stays in logs.
        for (String tenant : registry.connectedTenants()) {
            events.healthChanged(tenant, failed ? "unavailable" : "available", Map.of("source", source));
        }
    }

    public boolean isFailing(String source) {
        return failing.getOrDefault(source, false);
    }
}
