package dev.pulse.gateway.registry;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.session.GatewaySession;

/**
 * Something one tenant's connections watch, read once however many watch it: its subscribers, each with a watermark
 * of what it was last sent, and the newest value known. A value goes to each subscriber once, and only when it is new
 * for that subscriber, even when a poll and the first read after a subscribe deliver it at the same moment.
 *
 * <p>{@link DeviceWatch} (a device's latest point: newer by time) and {@link AlertFeed} (a tenant's open-alert list:
 * new when it differs) are the two kinds.
 *
 * @param <V> the value sent to subscribers
 */
public abstract class Feed<V> {

    private final String tenant;
    private final V nothingSent;
    private final Map<GatewaySession, V> lastSentBySubscriber = new ConcurrentHashMap<>();
    private final AtomicReference<V> latest = new AtomicReference<>();
    private final AtomicBoolean initialReadClaimed = new AtomicBoolean();

    protected Feed(String tenant, V nothingSent) {
        this.tenant = tenant;
        this.nothingSent = nothingSent;
    }

    /** Whether {@code offered} is worth sending to a subscriber that was last sent {@code lastSent}. */
    protected abstract boolean isNewFor(V lastSent, V offered);

    /** Of the newest value known and one just offered, the one to keep as the newest. */
    protected abstract V newest(V current, V offered);

    /** The message that carries a value. */
    protected abstract OutboundMessage message(V value);

    public String tenant() {
        return tenant;
    }

    /** The newest value known, or null before the first read. */
    public V latest() {
        return latest.get();
    }

    /** True for the one caller that should read this feed right after its first subscribe. */
    public boolean claimInitialRead() {
        return initialReadClaimed.compareAndSet(false, true);
    }

    /** Records {@code value} (unless something newer is known) and sends it to every subscriber it is new for. */
    public void publish(V value, BiConsumer<GatewaySession, OutboundMessage> send) {
        latest.accumulateAndGet(value, (current, offered) -> current == null ? offered : newest(current, offered));
        for (GatewaySession session : lastSentBySubscriber.keySet()) {
            offer(session, value, send);
        }
    }

    /** Sends the newest value known to {@code session} if it is new for it (used right after subscribing). */
    public void catchUp(GatewaySession session, BiConsumer<GatewaySession, OutboundMessage> send) {
        V value = latest.get();
        if (value != null) {
            offer(session, value, send);
        }
    }

    /** The subscribers (a snapshot). */
    public Set<GatewaySession> subscribers() {
        return Set.copyOf(lastSentBySubscriber.keySet());
    }

    public int subscriberCount() {
        return lastSentBySubscriber.size();
    }

    boolean add(GatewaySession session) {
        return lastSentBySubscriber.putIfAbsent(session, nothingSent) == null;
    }

    boolean remove(GatewaySession session) {
        return lastSentBySubscriber.remove(session) != null;
    }

    boolean isEmpty() {
        return lastSentBySubscriber.isEmpty();
    }

    private void offer(GatewaySession session, V value, BiConsumer<GatewaySession, OutboundMessage> send) {
        lastSentBySubscriber.computeIfPresent(session, (s, lastSent) -> {
            if (!isNewFor(lastSent, value)) {
                return lastSent;
            }
            // The first value a subscriber gets is a snapshot of the current state, not a change that travelled.
            send.accept(s, lastSent == nothingSent ? message(value).withoutOrigin() : message(value));
            return value;
        });
    }
}
