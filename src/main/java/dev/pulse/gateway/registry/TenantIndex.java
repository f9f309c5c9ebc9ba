package dev.pulse.gateway.registry;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** What one tenant's connections watch. Removed from the registry as soon as it watches nothing. */
final class TenantIndex {

    final String tenant;
    final Map<String, DeviceWatch> devices = new ConcurrentHashMap<>();
    volatile AlertFeed alerts;

    TenantIndex(String tenant) {
        this.tenant = tenant;
    }

    Collection<DeviceWatch> deviceWatches() {
        return devices.values();
    }

    boolean isEmpty() {
        return devices.isEmpty() && alerts == null;
    }
}
