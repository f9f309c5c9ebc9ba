package dev.pulse.gateway.cluster;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready only while this replica listens to PostgreSQL notifications: without them its clients would silently miss
 * events published on other replicas and instant alert pushes. Always UP with {@code pulse.cluster.enabled=false}.
 */
@Readiness
@ApplicationScoped
public class ClusterReadinessCheck implements HealthCheck {

    private final PostgresBus bus;

    public ClusterReadinessCheck(PostgresBus bus) {
        this.bus = bus;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("cluster").status(bus.listening()).withData("enabled", bus.enabled())
                .build();
    }
}
