package dev.pulse.gateway.registry;

import jakarta.inject.Singleton;

import dev.pulse.gateway.observability.Endpoint;
import dev.pulse.gateway.observability.GatewayMetrics;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.Startup;

/**
 * The registry's gauges: open connections by endpoint, rooms, subscriptions by kind. Registered at start-up, so they
 * are scraped before any client connects; read from the registry's statistics at each scrape.
 */
@Startup
@Singleton
public class RegistryMetrics {

    public RegistryMetrics(GatewayMetrics metrics, ConnectionRegistry connections, RegistryStatistics statistics) {
        for (Endpoint endpoint : Endpoint.values()) {
            metrics.gauge("pulse.connections.active", "Authenticated connections open now, by endpoint",
                    Tags.of("endpoint", endpoint.label()), () -> connections.connectionCount(endpoint.label()), null);
        }
        metrics.gauge("pulse.rooms.active", "Rooms with at least one member, over all tenants", Tags.empty(),
                statistics::roomCount, null);
        subscriptions(metrics, "device", statistics::deviceSubscriptionCount);
        subscriptions(metrics, "alerts", statistics::alertSubscriptionCount);
        subscriptions(metrics, "rooms", statistics::roomMembershipCount);
        subscriptions(metrics, "event_filters", statistics::eventFilterCount);
    }

    private static void subscriptions(GatewayMetrics metrics, String kind, java.util.function.Supplier<Number> count) {
        metrics.gauge("pulse.subscriptions.active", "Subscriptions held now, by kind", Tags.of("kind", kind), count,
                null);
    }
}
