package dev.pulse.gateway.observability;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.pulse.gateway.telemetry.TelemetrySource;

/** Ready only while InfluxDB answers its ping (within two seconds). PostgreSQL has {@link PostgresReadinessCheck}. */
@Readiness
@ApplicationScoped
public class InfluxReadinessCheck implements HealthCheck {

    private final TelemetrySource source;

    public InfluxReadinessCheck(TelemetrySource source) {
        this.source = source;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("influxdb").status(source.isReachable()).build();
    }
}
