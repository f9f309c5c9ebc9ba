package dev.pulse.gateway.sources;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;

import dev.pulse.gateway.cluster.PostgresBus;
import io.smallrye.health.api.HealthGroup;

/**
 * UP while this replica listens to PostgreSQL notifications (in the {@code sources} group): without them its clients miss
 * events published on other replicas and instant alert pushes. Always UP with {@code pulse.cluster.enabled=false}.
 */
@HealthGroup(SourcesHealth.GROUP)
@ApplicationScoped
public class ClusterHealthCheck implements HealthCheck {

    private final PostgresBus bus;

    public ClusterHealthCheck(PostgresBus bus) {
        this.bus = bus;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("cluster").status(bus.listening()).withData("enabled", bus.enabled())
                .build();
    }
}
