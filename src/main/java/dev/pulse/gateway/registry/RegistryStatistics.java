package dev.pulse.gateway.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.inject.Singleton;

import dev.pulse.gateway.security.WarmUpPasses;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.session.TenantCounters;

/**
 * The registry's figures: each tenant's statistics behind {@code /ws/stats} (kept after its last connection ends), and
 * the counts the gauges read. The counts scan the indexes: for scrapes, not for per-message paths.
 */
@Singleton
public class RegistryStatistics {

    private final TenantIndexes indexes;

    public RegistryStatistics(TenantIndexes indexes) {
        this.indexes = indexes;
    }

    /** Statistics of one tenant; zeros for a tenant never seen. */
    public TenantStats stats(String tenant) {
        TenantIndex index = indexes.tenants.get(tenant);
        TenantCounters tenantCounters = indexes.counters.getOrDefault(tenant, new TenantCounters());
        Map<String, Integer> rooms = new TreeMap<>();
        if (index != null) {
            index.rooms.forEach((room, members) -> rooms.put(room, members.size()));
        }
        return new TenantStats(tenant, index == null ? 0 : index.sessions.size(),
                tenantCounters.connections(), tenantCounters.disconnections(),
                tenantCounters.messagesSent(), tenantCounters.messagesReceived(), rooms);
    }

    /** Statistics of every tenant seen since start, by tenant; the start-up warm-up's own tenant is not one. */
    public Map<String, TenantStats> allStats() {
        Map<String, TenantStats> all = new TreeMap<>();
        for (String tenant : indexes.counters.keySet()) {
            if (WarmUpPasses.isWarmUp(tenant)) {
                continue;
            }
            all.put(tenant, stats(tenant));
        }
        return all;
    }

    /** Rooms with at least one member, over all tenants. */
    public int roomCount() {
        int count = 0;
        for (TenantIndex index : indexes.tenants.values()) {
            count += index.rooms.size();
        }
        return count;
    }

    /** Device subscriptions over all connections (a connection watching three devices counts three). */
    public int deviceSubscriptionCount() {
        int count = 0;
        for (TenantIndex index : indexes.tenants.values()) {
            for (DeviceWatch watch : index.deviceWatches()) {
                count += watch.subscriberCount();
            }
        }
        return count;
    }

    public int alertSubscriptionCount() {
        int count = 0;
        for (TenantIndex index : indexes.tenants.values()) {
            AlertFeed feed = index.alerts;
            if (feed != null) {
                count += feed.subscriberCount();
            }
        }
        return count;
    }

    /** Room memberships over all connections. */
    public int roomMembershipCount() {
        int count = 0;
        for (TenantIndex index : indexes.tenants.values()) {
            for (Set<GatewaySession> members : index.rooms.values()) {
                count += members.size();
            }
        }
        return count;
    }

    /** Connections with an event-type filter. Scans every connection: for metric scrapes, not for hot paths. */
    public int eventFilterCount() {
        int count = 0;
        for (GatewaySession session : indexes.sessions.values()) {
            if (!session.eventTypes().isEmpty()) {
                count++;
            }
        }
        return count;
    }
}
