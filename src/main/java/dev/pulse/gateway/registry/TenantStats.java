package dev.pulse.gateway.registry;

import java.util.Map;

/** A snapshot of one tenant's connections, in the shape of {@code GET /ws/stats}. */
public record TenantStats(String tenant, int activeConnections, long totalConnections, long totalDisconnections,
        long messagesSent, long messagesReceived, Map<String, Integer> rooms) {
}
