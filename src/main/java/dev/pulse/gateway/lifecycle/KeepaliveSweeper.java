package dev.pulse.gateway.lifecycle;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.delivery.ServerClose;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.session.ConnectionLog;
import dev.pulse.gateway.session.GatewaySession;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.websockets.next.CloseReason;
import io.vertx.core.buffer.Buffer;

/**
 * Once per {@code pulse.keepalive.ping-interval}: pings every connection, closes those that answered no ping within
 * the pong timeout (a peer that vanished without a TCP reset would otherwise hold its entries forever), and closes
 * idle ones: no subscription, no room, and no frame for the idle timeout. One timer for all connections.
 */
@ApplicationScoped
public class KeepaliveSweeper {

    private static final Logger LOG = Logger.getLogger(KeepaliveSweeper.class);
    /** Per instance, not static: a static Vert.x buffer would be built into the native image heap, which fails. */
    private final Buffer ping = Buffer.buffer("pulse");

    private final ConnectionRegistry registry;
    private final GatewayMetrics metrics;
    private final ServerClose closer;
    private final long pongTimeoutNanos;
    private final long idleTimeoutNanos;

    public KeepaliveSweeper(ConnectionRegistry registry, GatewayMetrics metrics, ServerClose closer,
            PulseConfig config) {
        this.registry = registry;
        this.closer = closer;
        this.metrics = metrics;
        this.pongTimeoutNanos = config.keepalive().pongTimeout().toNanos();
        this.idleTimeoutNanos = config.keepalive().idleTimeout().toNanos();
    }

    @Scheduled(identity = "keepalive", every = "${pulse.keepalive.ping-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void sweep() {
        long now = System.nanoTime();
        for (GatewaySession session : registry.allSessions()) {
            if (now - session.lastPongNanos() > pongTimeoutNanos) {
                close(session, CloseCodes.PING_TIMEOUT, "ping_timeout");
            } else if (!session.hasSubscriptions() && now - session.lastActivityNanos() > idleTimeoutNanos) {
                close(session, CloseCodes.IDLE, "idle");
            } else {
                session.connection().sendPing(ping).subscribe().with(ok -> { }, failed -> { });
            }
        }
    }

    private void close(GatewaySession session, CloseReason reason, String why) {
        ConnectionLog.with(session, () -> LOG.infof("Connection %s closed: %s", session.id(), why));
        metrics.keepaliveClosed(why);
        closer.close(session.connection(), reason);
    }
}
