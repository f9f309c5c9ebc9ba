package dev.pulse.gateway.registry;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

import dev.pulse.gateway.protocol.OutboundMessage;
import dev.pulse.gateway.session.GatewaySession;

/**
 * One device of one tenant that at least one connection watches: its subscribers, each with the time of the last
 * point it was sent, and the newest point known. However many watch it, the device is read once per poll.
 */
public final class DeviceWatch {

    /** A point ready to send: its time and its serialized message. */
    public record LatestPoint(Instant time, OutboundMessage message) {
    }

    private static final Instant NOTHING_SENT = Instant.MIN;

    private final String tenant;
    private final String deviceId;
    private final Map<GatewaySession, Instant> lastSentBySubscriber = new ConcurrentHashMap<>();
    private final AtomicReference<LatestPoint> latest = new AtomicReference<>();
    private final AtomicBoolean initialReadClaimed = new AtomicBoolean();

    DeviceWatch(String tenant, String deviceId) {
        this.tenant = tenant;
        this.deviceId = deviceId;
    }

    public String tenant() {
        return tenant;
    }

    public String deviceId() {
        return deviceId;
    }

    public LatestPoint latest() {
        return latest.get();
    }

    /** True for the one caller that should read this device's latest point right after the first subscribe. */
    public boolean claimInitialRead() {
        return initialReadClaimed.compareAndSet(false, true);
    }

    /** True when {@code time} is newer than the newest point known, i.e. worth serializing and offering. */
    public boolean isNewer(Instant time) {
        LatestPoint current = latest.get();
        return current == null || time.isAfter(current.time());
    }

    /**
     * Records {@code point} as the newest known (unless a newer one is already known) and sends it to every subscriber
     * that has not been sent it or anything newer.
     */
    public void publish(LatestPoint point, BiConsumer<GatewaySession, OutboundMessage> send) {
        latest.accumulateAndGet(point, (current, offered) ->
                current == null || offered.time().isAfter(current.time()) ? offered : current);
        for (GatewaySession session : lastSentBySubscriber.keySet()) {
            offer(session, point, send);
        }
    }

    /** Sends the newest known point to {@code session} if it has not had it yet (used right after subscribing). */
    public void catchUp(GatewaySession session, BiConsumer<GatewaySession, OutboundMessage> send) {
        LatestPoint point = latest.get();
        if (point != null) {
            offer(session, point, send);
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

    private void offer(GatewaySession session, LatestPoint point, BiConsumer<GatewaySession, OutboundMessage> send) {
        // The per-subscriber watermark makes a point go out once per subscriber even when a poll and the read that
        // follows a subscribe deliver it at the same moment.
        lastSentBySubscriber.computeIfPresent(session, (s, lastSent) -> {
            if (!point.time().isAfter(lastSent)) {
                return lastSent;
            }
            send.accept(s, point.message());
            return point.time();
        });
    }
}
