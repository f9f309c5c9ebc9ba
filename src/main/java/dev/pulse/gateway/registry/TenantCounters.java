package dev.pulse.gateway.registry;

import java.util.concurrent.atomic.LongAdder;

/** Lifetime counters of one tenant, for {@code /ws/stats}. Kept after the tenant's last connection ends. */
public final class TenantCounters {

    final LongAdder connections = new LongAdder();
    final LongAdder disconnections = new LongAdder();
    final LongAdder messagesSent = new LongAdder();
    final LongAdder messagesReceived = new LongAdder();

    void sent() {
        messagesSent.increment();
    }

    void received() {
        messagesReceived.increment();
    }
}
