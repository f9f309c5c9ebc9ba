package dev.pulse.gateway.sources;

/**
 * The health group of the shared data sources ({@code /q/health/group/sources} on the management port): InfluxDB,
 * PostgreSQL and the cluster bus. Kept out of readiness on purpose: every replica shares these, so a readiness that
 * followed them would take every pod out of the Service at once during an outage, and new clients could not even
 * connect to learn that a source is unavailable (they get {@code status} messages instead). Operators alert on this
 * group and on the metrics.
 */
public final class SourcesHealth {

    public static final String GROUP = "sources";

    private SourcesHealth() {
    }
}
