package dev.pulse.gateway.delivery;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.registry.GatewaySession;

/**
 * Writes finished frames to connections. Never blocks: the write is queued on the connection's event loop and its
 * outcome is counted. Callers build a message once and pass the same {@link OutboundMessage} for every target.
 */
@ApplicationScoped
public class Delivery {

    private static final Logger LOG = Logger.getLogger(Delivery.class);

    private final GatewayMetrics metrics;

    public Delivery(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    public void send(GatewaySession session, OutboundMessage message) {
        if (session.isClosed()) {
            return;
        }
        session.connection().sendText(message.text()).subscribe().with(
                ignored -> {
                    session.countSent();
                    metrics.messageSent(message, session.tenant());
                },
                failure -> {
                    metrics.sendFailure();
                    LOG.debugf("Send to %s failed: %s", session, failure.toString());
                });
    }
}
