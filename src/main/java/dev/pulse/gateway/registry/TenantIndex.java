package dev.pulse.gateway.registry;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import dev.pulse.gateway.session.GatewaySession;

/** One tenant's connections and what they watch. Removed from the registry with the tenant's last connection. */
final class TenantIndex {

    final String tenant;
    final Set<GatewaySession> sessions = ConcurrentHashMap.newKeySet();
    final Map<String, DeviceWatch> devices = new ConcurrentHashMap<>();
    final Map<String, Set<GatewaySession>> rooms = new ConcurrentHashMap<>();
    volatile AlertFeed alerts;
    /** Connections whose event filter names a presence event type (few: presence is opt-in). */
    final Set<GatewaySession> presenceListeners = ConcurrentHashMap.newKeySet();
    /** Places taken by connections being registered, so the tenant limit cannot be overshot by concurrent opens. */
    int reserved;

    TenantIndex(String tenant) {
        this.tenant = tenant;
    }

    Collection<DeviceWatch> deviceWatches() {
        return devices.values();
    }

    boolean isEmpty() {
        return sessions.isEmpty() && devices.isEmpty() && rooms.isEmpty() && alerts == null && reserved == 0;
    }
}
