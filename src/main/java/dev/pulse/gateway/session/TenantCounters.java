package dev.pulse.gateway.session;

import java.util.concurrent.atomic.LongAdder;

/** Lifetime counters of one tenant, for {@code /ws/stats}. Kept after the tenant's last connection ends. */
public final class TenantCounters {

    private final LongAdder connections = new LongAdder();
    private final LongAdder disconnections = new LongAdder();
    private final LongAdder messagesSent = new LongAdder();
    private final LongAdder messagesReceived = new LongAdder();

    public void connected() {
        connections.increment();
    }

    public void disconnected() {
        disconnections.increment();
    }

    void sent(int messages) {
        messagesSent.add(messages);
    }

    void received() {
        messagesReceived.increment();
    }

    public long connections() {
        return connections.sum();
    }

    public long disconnections() {
        return disconnections.sum();
    }

    public long messagesSent() {
        return messagesSent.sum();
    }

    public long messagesReceived() {
        return messagesReceived.sum();
    }
}
