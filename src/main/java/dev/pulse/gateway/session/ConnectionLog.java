package dev.pulse.gateway.session;

import org.jboss.logging.MDC;

import dev.pulse.gateway.security.WarmUpPasses;
import io.quarkus.vertx.core.runtime.VertxMDC;
import io.smallrye.common.vertx.VertxContext;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Logs a connection's lifecycle lines with the connection id, tenant and endpoint as structured fields (the MDC):
 * with JSON logging on ({@code quarkus.log.console.json.enabled}) they become fields of the record, searchable
 * without parsing the message. Never the token, never more than these identifiers.
 */
public final class ConnectionLog {

    private ConnectionLog() {
    }

    /** {@link #with(String, String, String, Runnable)} for a registered connection. */
    public static void with(GatewaySession session, Runnable log) {
        with(session.id(), session.tenant(), session.endpoint(), log);
    }

    /**
     * Runs {@code log} with the connection's fields set, and clears them after (the thread serves others too). The
     * warm-up's own connections are not logged one by one: the warm-up logs one line for all of them.
     */
    public static void with(String connectionId, String tenant, String endpoint, Runnable log) {
        if (WarmUpPasses.isWarmUp(tenant)) {
            return;
        }
        MDC.put("connection_id", connectionId);
        if (tenant != null) {
            MDC.put("tenant", tenant);
        }
        if (endpoint != null) {
            MDC.put("endpoint", endpoint);
        }
        try {
            log.run();
        } finally {
            MDC.remove("connection_id");
            MDC.remove("tenant");
            MDC.remove("endpoint");
            dropEmptyContextMdc();
        }
    }

    /**
     * On a Vert.x context, Quarkus keeps the MDC in a map stored on the context, and removing the last entry leaves
     * the empty map there. A connection's callbacks run on its own context, which lives as long as the connection, so
     * one log line would cost every idle connection that map (about 250 bytes). An absent map is an empty MDC.
     */
    private static void dropEmptyContextMdc() {
        Context context = Vertx.currentContext();
        if (context != null && VertxContext.isDuplicatedContext(context)
                && context.getLocal(VertxMDC.class.getName()) != null && VertxMDC.INSTANCE.isEmpty(context)) {
            context.removeLocal(VertxMDC.class.getName());
        }
    }
}
