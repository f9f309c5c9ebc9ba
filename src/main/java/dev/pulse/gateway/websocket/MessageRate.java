package dev.pulse.gateway.websocket;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.delivery.Delivery;
import dev.pulse.gateway.delivery.ServerClose;
import dev.pulse.gateway.lifecycle.Admission;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.protocol.ErrorCode;
import dev.pulse.gateway.protocol.ServerMessages;
import dev.pulse.gateway.session.ConnectionLog;
import dev.pulse.gateway.session.GatewaySession;

/**
 * The per-connection rates: device subscribe/unsubscribe requests (one per device named) take from the subscription
 * rate, whose burst lets a page load subscribe to every device it may watch; everything else, junk included, from
 * the message rate. A refused frame gets {@code rate_limited}; past {@code pulse.limits.rate-violations-before-close}
 * violations, which decay with good behaviour, the connection is closed with 1008.
 */
@ApplicationScoped
public class MessageRate {

    private static final Logger LOG = Logger.getLogger(MessageRate.class);
    /**
     * One rate violation is forgiven per ten message tokens earned (10 s at 60 per minute): a client that overshoots
     * now and then never accumulates its way to 1008, one that keeps sending at even twice the rate gets there.
     */
    private static final long VIOLATION_DECAY_TOKENS = 10;

    private final GatewayMetrics metrics;
    private final Delivery delivery;
    private final ServerMessages messages;
    private final ServerClose closer;
    private final PulseConfig.Limits limits;
    private final int subscriptionBurst;
    private final long violationDecayNanos;

    public MessageRate(GatewayMetrics metrics, Delivery delivery, ServerMessages messages, ServerClose closer,
            PulseConfig config) {
        this.metrics = metrics;
        this.delivery = delivery;
        this.messages = messages;
        this.closer = closer;
        this.limits = config.limits();
        this.subscriptionBurst = Admission.subscriptionBurst(config);
        this.violationDecayNanos = VIOLATION_DECAY_TOKENS * 60_000_000_000L / Math.max(1, limits.messagesPerMinute());
    }

    /**
     * Counts a frame from the client and takes it from the right rate ({@code subscriptionCost} > 0: the subscription
     * rate). False when the rate refused it: the client was told, or the connection is closing.
     */
    public boolean admit(GatewaySession session, long now, int subscriptionCost) {
        if (session.isClosing()) {
            return false; // closing for its rate already: what it still sends is not read
        }
        session.countReceived();
        session.touched(now);
        boolean allowed = subscriptionCost > 0
                ? session.trySubscriptionRate(now, limits.messagesPerMinute(), subscriptionBurst, subscriptionCost)
                : session.tryRate(now, limits.messagesPerMinute());
        if (allowed) {
            return true;
        }
        metrics.rateLimited();
        metrics.messageReceived("rate_limited", session.tenant());
        if (session.rateViolation(now, violationDecayNanos) > limits.rateViolationsBeforeClose()) {
            if (session.startClosing()) {
                ConnectionLog.with(session, () -> LOG.infof("Connection %s closed: rate limit exceeded", session.id()));
                closer.close(session.connection(), CloseCodes.RATE_LIMIT);
            }
        } else {
            delivery.send(session, messages.error(ErrorCode.RATE_LIMITED, "Too many messages: at most "
                    + limits.messagesPerMinute() + " per minute; this one was not handled"));
        }
        return false;
    }
}
