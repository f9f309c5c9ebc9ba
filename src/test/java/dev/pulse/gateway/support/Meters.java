package dev.pulse.gateway.support;

/**
 * Pulse's own counters as Prometheus reads them, by name: shorthands over {@link Scrape}, the one metrics reader of
 * the tests (and of the benchmark).
 */
public final class Meters {

    private Meters() {
    }

    /** A counter's value summed over its samples with {@code tagKey="tagValue"}; {@code name} in Micrometer form. */
    public static double counter(String name, String tagKey, String tagValue) {
        return Scrape.now().value(name.replace('.', '_') + "_total", tagKey + "=\"" + tagValue + "\"");
    }

    public static double influxQueries() {
        return counter("pulse.source.queries", "source", "influxdb");
    }

    public static double postgresQueries() {
        return counter("pulse.source.queries", "source", "postgresql");
    }

    public static double influxCycles() {
        return counter("pulse.poll.cycles", "source", "influxdb");
    }

    public static double postgresCycles() {
        return counter("pulse.poll.cycles", "source", "postgresql");
    }
}
