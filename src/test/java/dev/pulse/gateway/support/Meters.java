package dev.pulse.gateway.support;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Reads Pulse's own counters, the numbers an operator scrapes. */
public final class Meters {

    private Meters() {
    }

    public static double counter(MeterRegistry registry, String name, String tagKey, String tagValue) {
        Counter counter = registry.find(name).tag(tagKey, tagValue).counter();
        return counter == null ? 0 : counter.count();
    }

    public static double influxQueries(MeterRegistry registry) {
        return counter(registry, "pulse.source.queries", "source", "influxdb");
    }

    public static double postgresQueries(MeterRegistry registry) {
        return counter(registry, "pulse.source.queries", "source", "postgresql");
    }

    public static double influxCycles(MeterRegistry registry) {
        return counter(registry, "pulse.poll.cycles", "source", "influxdb");
    }

    public static double postgresCycles(MeterRegistry registry) {
        return counter(registry, "pulse.poll.cycles", "source", "postgresql");
    }
}
