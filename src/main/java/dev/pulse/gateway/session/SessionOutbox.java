package dev.pulse.gateway.session;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.pulse.gateway.protocol.OutboundMessage;

/**
 * What is on its way to one connection: writes not yet flushed to the socket, and telemetry held back while the client
 * reads too slowly (only the newest point per device, so it is bounded by the connection's device subscriptions).
 */
public final class SessionOutbox {

    private final AtomicInteger pending = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong pendingBytes = new java.util.concurrent.atomic.AtomicLong();
    private final Map<String, OutboundMessage> conflated = new LinkedHashMap<>();
    private final AtomicBoolean overflowed = new AtomicBoolean();

    /** Writes started and not completed. */
    public int pending() {
        return pending.get();
    }

    /** Bytes of the writes started and not completed. */
    public long pendingBytes() {
        return pendingBytes.get();
    }

    public void writeStarted(int bytes) {
        pending.incrementAndGet();
        pendingBytes.addAndGet(bytes);
    }

    public void writeFinished(int bytes) {
        pending.decrementAndGet();
        pendingBytes.addAndGet(-bytes);
    }

    /** Keeps only the newest telemetry message of a device until the client catches up. */
    public synchronized void conflate(String key, OutboundMessage message) {
        conflated.remove(key);
        conflated.put(key, message);
    }

    /** The held-back telemetry, oldest device first, emptied. */
    public synchronized List<OutboundMessage> drainConflated() {
        if (conflated.isEmpty()) {
            return List.of();
        }
        List<OutboundMessage> messages = new ArrayList<>(conflated.values());
        conflated.clear();
        return messages;
    }

    public synchronized int conflatedCount() {
        return conflated.size();
    }

    /** True for the one caller that first finds the bound crossed: it closes the connection. */
    public boolean markOverflowed() {
        return overflowed.compareAndSet(false, true);
    }
}
