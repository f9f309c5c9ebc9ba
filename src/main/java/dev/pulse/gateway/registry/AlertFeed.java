package dev.pulse.gateway.registry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.session.GatewaySession;

/**
 * The open-alert list of one tenant and the connections that want it. Each subscriber remembers the last list it was
 * sent, so a list goes out once on subscribe and then only when it changed.
 */
public final class AlertFeed {

    private static final OutboundMessage NOTHING_SENT = OutboundMessage.of(OutboundMessage.Kind.ALERTS, "");

    private final String tenant;
    private final Map<GatewaySession, OutboundMessage> lastSentBySubscriber = new ConcurrentHashMap<>();
    private final AtomicBoolean initialReadClaimed = new AtomicBoolean();
    private volatile OutboundMessage latest;

    AlertFeed(String tenant) {
        this.tenant = tenant;
    }

    public String tenant() {
        return tenant;
    }

    /** The last list read for this tenant (a serialized {@code alerts} message), or null before the first read. */
    public OutboundMessage latest() {
        return latest;
    }

    /** True for the one caller that should read the list right after the first subscribe. */
    public boolean claimInitialRead() {
        return initialReadClaimed.compareAndSet(false, true);
    }

    /** Records the list just read and sends it to every subscriber whose last list differs. */
    public void publish(OutboundMessage message, BiConsumer<GatewaySession, OutboundMessage> send) {
        latest = message;
        for (GatewaySession session : lastSentBySubscriber.keySet()) {
            offer(session, message, send);
        }
    }

    /** Sends the last list read to {@code session} if it has not had it (used right after subscribing). */
    public void catchUp(GatewaySession session, BiConsumer<GatewaySession, OutboundMessage> send) {
        OutboundMessage message = latest;
        if (message != null) {
            offer(session, message, send);
        }
    }

    /** The subscribers (a snapshot). */
    public java.util.Set<GatewaySession> subscribers() {
        return java.util.Set.copyOf(lastSentBySubscriber.keySet());
    }

    public int subscriberCount() {
        return lastSentBySubscriber.size();
    }

    boolean add(GatewaySession session) {
        return lastSentBySubscriber.putIfAbsent(session, NOTHING_SENT) == null;
    }

    boolean remove(GatewaySession session) {
        return lastSentBySubscriber.remove(session) != null;
    }

    boolean isEmpty() {
        return lastSentBySubscriber.isEmpty();
    }

    private void offer(GatewaySession session, OutboundMessage message, BiConsumer<GatewaySession, OutboundMessage> send) {
        lastSentBySubscriber.computeIfPresent(session, (s, lastSent) -> {
            if (lastSent.text().equals(message.text())) {
                return lastSent;
            }
            send.accept(s, message);
            return message;
        });
    }
}
