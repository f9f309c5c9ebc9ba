package dev.pulse.gateway.delivery;

import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

import jakarta.inject.Singleton;

import org.jboss.logging.Logger;

import dev.pulse.gateway.config.PulseConfig;
import dev.pulse.gateway.delivery.ServerClose;
import dev.pulse.gateway.observability.GatewayMetrics;
import dev.pulse.gateway.protocol.CloseCodes;
import dev.pulse.gateway.protocol.OutboundMessage;
import io.quarkus.runtime.Startup;
import dev.pulse.gateway.session.ConnectionLog;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.session.SessionOutbox;

/**
 * Writes finished frames to connections. Never blocks: the write is queued on the connection's event loop and its
 * outcome is counted. Callers build a message once and pass the same {@link OutboundMessage} for every target.
 *
 * <p>Slow consumers: a connection has at most {@code pulse.delivery.max-pending-messages} writes, and
 * {@code pulse.delivery.max-pending-bytes} bytes, not yet flushed to its socket. At either bound, telemetry is held back and conflated to the newest point per device (sent when the client
 * catches up); any other message means the client cannot keep up, and the connection is closed with 4009. Memory per
 * connection stays bounded either way, and other connections are not slowed.
 *
 * <p>
 * {@code @Singleton}, not {@code @ApplicationScoped}: called once per message per recipient, and a client proxy's
 * context lookup showed in the fan-out profile (src/bench). Nothing here needs lazy creation or a proxy.
 */
@Startup
@Singleton
public class Delivery {

    private static final Logger LOG = Logger.getLogger(Delivery.class);

    private final GatewayMetrics metrics;
    private final ServerClose closer;
    private final FanoutBudget budget;
    private final int maxPending;
    private final long maxPendingBytes;

    public Delivery(GatewayMetrics metrics, ServerClose closer, FanoutBudget budget, PulseConfig config) {
        this.metrics = metrics;
        this.closer = closer;
        this.budget = budget;
        this.maxPending = Math.max(1, config.delivery().maxPendingMessages());
        this.maxPendingBytes = Math.max(1, config.delivery().maxPendingBytes());
        metrics.declareSentTypes(Arrays.stream(OutboundMessage.Kind.values()).map(OutboundMessage.Kind::label)
                .toList());
    }

    public void send(GatewaySession session, OutboundMessage message) {
        if (session.isClosed()) {
            return;
        }
        SessionOutbox outbox = session.outbox();
        if (outbox.pending() >= maxPending || overBytes(outbox, message)) {
            if (message.conflationKey() != null) {
                outbox.conflate(message.conflationKey(), message);
                metrics.conflated();
            } else if (outbox.markOverflowed()) {
                metrics.slowConsumerClosed();
                ConnectionLog.with(session, () -> LOG.infof(
                        "Connection %s closed: %d messages (%d bytes) not read (slow consumer)", session.id(),
                        outbox.pending(), outbox.pendingBytes()));
                closer.close(session.connection(), CloseCodes.SLOW_CONSUMER);
            }
            return;
        }
        write(session, outbox, message);
    }

    /** Whether this message would take the unflushed bytes past the bound (a lone message always goes). */
    private boolean overBytes(SessionOutbox outbox, OutboundMessage message) {
        long pendingBytes = outbox.pendingBytes();
        return pendingBytes > 0 && pendingBytes + message.bytes() > maxPendingBytes;
    }

    private void write(GatewaySession session, SessionOutbox outbox, OutboundMessage message) {
        outbox.writeStarted(message.bytes());
        LongAdder tenantInFlight = budget.started(session.tenant());
        session.connection().sendText(message.text()).subscribe().with(
                ignored -> {
                    budget.finished(tenantInFlight);
                    outbox.writeFinished(message.bytes());
                    session.countSent();
                    metrics.messageSent(message.kind().label(), message.bytes(), session.tenant());
                    if (message.originMillis() != 0) {
                        measureDelay(message);
                    }
                    flushConflated(session, outbox);
                },
                failure -> {
                    budget.finished(tenantInFlight);
                    outbox.writeFinished(message.bytes());
                    metrics.sendFailure();
                    LOG.debugf("Send to %s failed: %s", session, failure.toString());
                });
    }

    /** A live push's delay from what it carries (an event, an alert change, a point) to its write. */
    private void measureDelay(OutboundMessage message) {
        long delay = System.currentTimeMillis() - message.originMillis();
        switch (message.kind()) {
            case EVENT -> metrics.eventDelivered(delay);
            case ALERTS -> metrics.alertsDelivered(delay);
            case TELEMETRY -> metrics.pointDelivered(delay);
            default -> {
                // Replies, errors and status messages answer the client or the moment; they have no origin.
            }
        }
    }

    /** Sends the telemetry held back while the client was behind, now that it reads again. */
    private void flushConflated(GatewaySession session, SessionOutbox outbox) {
        if (outbox.pending() < maxPending / 2 && outbox.pendingBytes() < maxPendingBytes / 2
                && outbox.conflatedCount() > 0) {
            for (OutboundMessage held : outbox.drainConflated()) {
                send(session, held);
            }
        }
    }
}
