package dev.pulse.gateway.websocket;

import java.lang.ref.WeakReference;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.ext.web.RoutingContext;

/**
 * Test-side observer: remembers, weakly, the routing context of each upgrade request that carries a {@code probe}
 * query parameter, so a test can tell whether anything still holds it once the connection is open.
 */
@ApplicationScoped
public class UpgradeRequests {

    /** After Pulse's own filters, right before the routes. */
    private static final int PRIORITY = 1;

    private final Map<String, WeakReference<RoutingContext>> probed = new ConcurrentHashMap<>();

    void register(@Observes Filters filters) {
        filters.register(this::observe, PRIORITY);
    }

    private void observe(RoutingContext context) {
        String probe = context.request().getParam("probe");
        if (probe != null) {
            probed.put(probe, new WeakReference<>(context));
        }
        context.next();
    }

    /** The upgrade request sent with {@code probe}, weakly, or null if none arrived. */
    WeakReference<RoutingContext> probed(String probe) {
        return probed.get(probe);
    }

    void forget(String probe) {
        probed.remove(probe);
    }
}
