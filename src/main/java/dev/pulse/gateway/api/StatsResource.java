package dev.pulse.gateway.api;

import java.util.Map;
import java.util.TreeMap;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;

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
    private final String platformAdminRole;

    public StatsResource(RegistryStatistics statistics, ConnectionRegistry registry, PulseConfig config) {
        this.statistics = statistics;
        this.registry = registry;
        this.platformAdminRole = config.stats().platformAdminRole();
    }

    @GET
    @NonBlocking
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Connection and message figures of this replica",
            description = "A tenant admin (pulse.stats.tenant-admin-roles) gets its own tenant's figures; the platform"
                    + " admin role (pulse.stats.platform-admin-role) gets every tenant's and the totals.")
    @SecurityRequirement(name = "bearer")
    @APIResponse(responseCode = "200", description = "The caller's view", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(oneOf = { RestTypes.TenantStatistics.class,
                    RestTypes.PlatformStatistics.class })))
    @APIResponse(responseCode = "401", description = "unauthorized: missing, invalid or expired token",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = RestTypes.ApiError.class)))
    @APIResponse(responseCode = "403", description = "forbidden: neither an admin role of a tenant nor the platform"
            + " admin role", content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = RestTypes.ApiError.class)))
    public Response stats(@Context RoutingContext context) {
        GatewayPrincipal caller = RequestGuard.principal(context);
        if (platformAdminRole.equals(caller.role())) {
            return Response.ok(platform(statistics.allStats())).build();
        }
        if (caller.tenant() == null) {
            return RestErrors.forbidden();
        }
        return Response.ok(tenant(statistics.stats(caller.tenant()))).build();
    }

    private static RestTypes.TenantStatistics tenant(TenantStats stats) {
        return new RestTypes.TenantStatistics(stats.tenant(), stats.activeConnections(), stats.totalConnections(),
                stats.totalDisconnections(), stats.rooms().size(), stats.messagesSent(), stats.messagesReceived(),
                new TreeMap<>(stats.rooms()));
    }

    private static RestTypes.PlatformStatistics platform(Map<String, TenantStats> all) {
        long active = 0;
        long connections = 0;
        long disconnections = 0;
        long sent = 0;
        long received = 0;
        Map<String, Integer> rooms = new TreeMap<>();
        Map<String, RestTypes.TenantStatistics> tenants = new TreeMap<>();
        for (TenantStats stats : all.values()) {
            active += stats.activeConnections();
            connections += stats.totalConnections();
            disconnections += stats.totalDisconnections();
            sent += stats.messagesSent();
            received += stats.messagesReceived();
            stats.rooms().forEach((room, members) -> rooms.put(stats.tenant() + "/" + room, members));
            tenants.put(stats.tenant(), tenant(stats));
        }
        return new RestTypes.PlatformStatistics(active, connections, disconnections, rooms.size(), sent, received,
                rooms, tenants);
    }
}
