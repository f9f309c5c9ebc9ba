package dev.pulse.gateway.websocket;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * Lets the HTTP upgrade request of a WebSocket be collected once the connection is open.
 *
 * <p>Quarkus' HTTP security puts a deferred security identity on every request's routing context. When websockets-next
 * finds one on an upgrade, it keeps the routing context for the connection's whole life (to resolve that identity
 * later), and with it the request, its response, its headers, the {@code ?token=} query in several strings and the
 * identity's context-propagation snapshots: 3.3 KB per idle connection, a fifth of its heap then (heap dumps of
 * 5,000 connections, src/docs/benchmarks.md). Pulse authenticates WebSocket clients itself, from the token
 * the handshake carries ({@code Admission}); no endpoint asks Quarkus for an identity. So the deferred identity is
 * taken off upgrade requests before the endpoint sees them, and the request goes once the connection is open
 * (Vert.x's WebSocket still keeps its URI and headers).
 *
 * <p>A WebSocket endpoint secured with Quarkus' own annotations ({@code @RolesAllowed}, {@code @Authenticated}) would
 * need that identity; none is. With {@code quarkus.http.auth.proactive=true} the identity would be resolved before
 * this filter and kept the same way, so Pulse leaves proactive authentication off.
 */
@ApplicationScoped
public class UpgradeRequestRelease {

    /**
     * After authentication (200), which sets the deferred identity, and Pulse's request guard (100); before any
     * route, so before the WebSocket endpoints.
     */
    private static final int PRIORITY = 90;

    void register(@Observes Filters filters) {
        filters.register(UpgradeRequestRelease::release, PRIORITY);
    }

    static void release(RoutingContext context) {
        if (isWebSocketUpgrade(context.request().getHeader(HttpHeaders.UPGRADE))) {
            context.remove(QuarkusHttpUser.DEFERRED_IDENTITY_KEY);
        }
        context.next();
    }

    static boolean isWebSocketUpgrade(String upgradeHeader) {
        return upgradeHeader != null && upgradeHeader.equalsIgnoreCase("websocket");
    }
}
