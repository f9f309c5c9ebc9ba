package dev.pulse.gateway.config;

import java.util.Optional;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The framework's own settings that Pulse needs to read (the datasource it opens a LISTEN connection and the demo
 * pool with, the WebSocket message limit it names in 1009 closes, the HTTP port it prints). With {@link PulseConfig},
 * the only places settings are read: no class looks them up by name on its own.
 */
@Singleton
public class FrameworkSettings {

    private final Optional<String> datasourceUrl;
    private final Optional<String> datasourceUsername;
    private final Optional<String> datasourcePassword;
    private final int maxMessageBytes;
    private final int httpPort;

    public FrameworkSettings(
            // Optional so that the migration Job (QUARKUS_INIT_AND_EXIT, owner credentials only) starts without it.
            @ConfigProperty(name = "quarkus.datasource.reactive.url") Optional<String> datasourceUrl,
            @ConfigProperty(name = "quarkus.datasource.username") Optional<String> datasourceUsername,
            @ConfigProperty(name = "quarkus.datasource.password") Optional<String> datasourcePassword,
            @ConfigProperty(name = "quarkus.websockets-next.server.max-message-size", defaultValue = "65536")
            int maxMessageBytes,
            @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080") int httpPort) {
        this.datasourceUrl = datasourceUrl;
        this.datasourceUsername = datasourceUsername;
        this.datasourcePassword = datasourcePassword;
        this.maxMessageBytes = maxMessageBytes;
        this.httpPort = httpPort;
    }

    /** {@code quarkus.datasource.reactive.url}; the gateway cannot run without it. */
    public String datasourceUrl() {
        return datasourceUrl.orElseThrow(() -> new IllegalStateException(
                "quarkus.datasource.reactive.url (QUARKUS_DATASOURCE_REACTIVE_URL) is not set: Pulse needs the"
                        + " PostgreSQL address, e.g. postgresql://db:5432/pulse"));
    }

    /** {@code quarkus.datasource.username}. */
    public Optional<String> datasourceUsername() {
        return datasourceUsername;
    }

    /** {@code quarkus.datasource.password}. */
    public Optional<String> datasourcePassword() {
        return datasourcePassword;
    }

    /** {@code quarkus.websockets-next.server.max-message-size}: the inbound message limit named in 1009 closes. */
    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /** {@code quarkus.http.port}. */
    public int httpPort() {
        return httpPort;
    }
}
