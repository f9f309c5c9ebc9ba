package dev.pulse.gateway.delivery;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.session.GatewaySession;
import io.netty.channel.Channel;
import io.quarkus.websockets.next.CloseReason;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Every close Pulse initiates on an open connection goes through here (slow consumer, keepalive, token expiry, rate
 * limit, early flood, frame violations): the close frame with its code, then, if the client has not completed the close
 * handshake within {@code pulse.keepalive.close-timeout}, its TCP connection is dropped. (Refusals during the handshake
 * and the 1001 closes at shutdown await their close instead.)
 *
 * <p>
 * Why: Vert.x starts its own closing timeout only once the close frame is flushed. A client that stopped reading
 * (the slow consumers this gateway closes) never lets it flush, so without this its socket, its buffers and its
 * registry entry would stay forever. websockets-next does not expose the socket of a connection, so the upgrade check
 * below keeps the HTTP connection it arrived on in the connection's user data.
 */
@ApplicationScoped
public class ServerClose implements HttpUpgradeCheck {

    private static final Logger LOG = Logger.getLogger(ServerClose.class);
    private static final UserData.TypedKey<HttpConnection> TRANSPORT = new UserData.TypedKey<>("pulse.transport");

    private final Vertx vertx;
    private final WriteQueues queues;
    private final long closeTimeoutMillis;

    public ServerClose(Vertx vertx, WriteQueues queues, PulseConfig config) {
        this.vertx = vertx;
        this.queues = queues;
        this.closeTimeoutMillis = Math.max(1, config.keepalive().closeTimeout().toMillis());
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        context.userData().put(TRANSPORT, context.httpRequest().connection());
        return CheckResult.permitUpgrade();
    }

    /**
     * Sends the close frame, after what was queued for the connection before (an error message that explains the
     * close arrives first), and makes sure the connection is gone within the close timeout either way.
     */
    public void close(WebSocketConnection connection, CloseReason reason) {
        Channel channel = GatewaySession.of(connection).map(session -> session.outbox().channel()).orElse(null);
        if (channel != null) {
            queues.afterQueuedWrites(channel, () -> closeNow(connection, reason));
        } else {
            closeNow(connection, reason);
        }
    }

    /** The socket channel a connection arrived on, or null if the upgrade did not record one. */
    public static Channel channel(WebSocketConnection connection) {
        return connection.userData().get(TRANSPORT) instanceof ConnectionBase base ? base.channel() : null;
    }

    private void closeNow(WebSocketConnection connection, CloseReason reason) {
        connection.close(reason).subscribe().with(ignored -> { }, ignored -> { });
        HttpConnection transport = connection.userData().get(TRANSPORT);
        if (transport != null) {
            vertx.setTimer(closeTimeoutMillis, timer -> {
                if (GatewaySession.of(connection).isPresent()) {
                    LOG.infof("Connection %s did not complete the close handshake in %d ms; dropping it",
                            connection.id(), closeTimeoutMillis);
                    drop(transport);
                }
            });
        }
    }

    /**
     * Closes the TCP connection now. Both {@link HttpConnection#close()} and a plain channel close are graceful: the
     * WebSocket handlers in the pipeline hold the close back until the close frame is flushed, which never happens
     * for a client that does not read. Closing from the first handler context goes straight to the socket.
     */
    private static void drop(HttpConnection transport) {
        if (transport instanceof ConnectionBase base && base.channel().pipeline().firstContext() != null) {
            base.channel().pipeline().firstContext().close();
        } else {
            transport.close();
        }
    }
}
