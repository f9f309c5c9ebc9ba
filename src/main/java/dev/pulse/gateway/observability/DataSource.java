package dev.pulse.gateway.observability;

/** The data sources Pulse reads, as they appear in metric labels, logs and {@code status} messages. */
public enum DataSource {
    INFLUXDB("influxdb"),
    POSTGRESQL("postgresql");

    private final String label;

    DataSource(String label) {
        this.label = label;
    }

    /** The name in labels, logs and messages. */
    public String label() {
        return label;
    }
}
