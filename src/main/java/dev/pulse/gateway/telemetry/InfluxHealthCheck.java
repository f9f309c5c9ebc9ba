package dev.pulse.gateway.telemetry;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import dev.pulse.gateway.sources.SourcesHealth;
import io.smallrye.health.api.HealthGroup;

import dev.pulse.gateway.telemetry.TelemetrySource;

/** UP while InfluxDB answers its ping (within two seconds); in the {@code sources} group, not in readiness. */
@HealthGroup(SourcesHealth.GROUP)
@ApplicationScoped
public class InfluxHealthCheck implements HealthCheck {

    private final TelemetrySource source;

    public InfluxHealthCheck(TelemetrySource source) {
        this.source = source;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("influxdb").status(source.isReachable()).build();
    }
}
