package dev.pulse.gateway.api;

import java.util.Map;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.registry.RegistryStatistics;
import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.registry.TenantStats;
import dev.pulse.gateway.security.GatewayPrincipal;
import io.smallrye.common.annotation.NonBlocking;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /ws/stats}, in the event-system design's shape. A tenant admin sees its own tenant; the platform admin
 * role sees the totals of every tenant, each tenant's figures under {@code tenants}, and rooms as
 * {@code "<tenant>/<room>"}. The caller's token (a tenant admin or the platform admin role) is verified by
 * {@link RequestGuard} first; reading the registry's counters does not block.
 */
@Path(StatsResource.PATH)
public class StatsResource {

    static final String PATH = "/ws/stats";

    private final RegistryStatistics statistics;
    private final ConnectionRegistry registry;
    private final ObjectMapper mapper;
    private final String platformAdminRole;

    public StatsResource(RegistryStatistics statistics, ConnectionRegistry registry, ObjectMapper mapper, PulseConfig config) {
        this.statistics = statistics;
        this.registry = registry;
        this.mapper = mapper;
        this.platformAdminRole = config.stats().platformAdminRole();
    }

    @GET
    @NonBlocking
    @Produces(MediaType.APPLICATION_JSON)
    public Response stats(@Context RoutingContext context) {
        GatewayPrincipal caller = RequestGuard.principal(context);
        if (platformAdminRole.equals(caller.role())) {
            return Response.ok(platform(statistics.allStats())).build();
        }
        if (caller.tenant() == null) {
            return RestErrors.forbidden();
        }
        return Response.ok(write(statistics.stats(caller.tenant()))).build();
    }

    private ObjectNode write(TenantStats stats) {
        ObjectNode node = mapper.createObjectNode();
        node.put("tenant", stats.tenant());
        node.put("active_connections", stats.activeConnections());
        node.put("total_connections", stats.totalConnections());
        node.put("total_disconnections", stats.totalDisconnections());
        node.put("total_rooms", stats.rooms().size());
        node.put("messages_sent", stats.messagesSent());
        node.put("messages_received", stats.messagesReceived());
        ObjectNode rooms = node.putObject("rooms");
        stats.rooms().forEach(rooms::put);
        return node;
    }

    private ObjectNode platform(Map<String, TenantStats> all) {
        long active = 0;
        long connections = 0;
        long disconnections = 0;
        long sent = 0;
        long received = 0;
        ObjectNode node = mapper.createObjectNode();
        ObjectNode rooms = mapper.createObjectNode();
        ObjectNode tenants = mapper.createObjectNode();
        for (TenantStats stats : all.values()) {
            active += stats.activeConnections();
            connections += stats.totalConnections();
            disconnections += stats.totalDisconnections();
            sent += stats.messagesSent();
            received += stats.messagesReceived();
            stats.rooms().forEach((room, members) -> rooms.put(stats.tenant() + "/" + room, members));
            tenants.set(stats.tenant(), write(stats));
        }
        node.put("active_connections", active);
        node.put("total_connections", connections);
        node.put("total_disconnections", disconnections);
        node.put("total_rooms", rooms.size());
        node.put("messages_sent", sent);
        node.put("messages_received", received);
        node.set("rooms", rooms);
        node.set("tenants", tenants);
        return node;
    }
}
