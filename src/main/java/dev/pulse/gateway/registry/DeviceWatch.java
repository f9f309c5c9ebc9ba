package dev.pulse.gateway.registry;

import java.time.Instant;

import dev.pulse.gateway.protocol.OutboundMessage;

/**
 * One device of one tenant that at least one connection watches: a {@link Feed} of its newest point, where a point is
 * new for a subscriber when it is newer than the last one that subscriber was sent.
 */
public final class DeviceWatch extends Feed<DeviceWatch.LatestPoint> {

    /** A point ready to send: its time and its serialized message. */
    public record LatestPoint(Instant time, OutboundMessage message) {
    }

    private static final LatestPoint NOTHING_SENT = new LatestPoint(Instant.MIN, null);

    private final String deviceId;

    DeviceWatch(String tenant, String deviceId) {
        super(tenant, NOTHING_SENT);
        this.deviceId = deviceId;
    }

    public String deviceId() {
        return deviceId;
    }

    /** True when {@code time} is newer than the newest point known, i.e. worth serializing and offering. */
    public boolean isNewer(Instant time) {
        LatestPoint current = latest();
        return current == null || time.isAfter(current.time());
    }

    @Override
    protected boolean isNewFor(LatestPoint lastSent, LatestPoint offered) {
        return offered.time().isAfter(lastSent.time());
    }

    @Override
    protected LatestPoint newest(LatestPoint current, LatestPoint offered) {
        return offered.time().isAfter(current.time()) ? offered : current;
    }

    @Override
    protected OutboundMessage message(LatestPoint point) {
        return point.message();
    }
}
