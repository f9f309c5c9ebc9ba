package dev.pulse.gateway.warmup;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Not ready while the replica warms its connect path ({@link ConnectionWarmUp}), at most {@code pulse.warm-up.timeout}
 * after the start: Kubernetes sends clients only to a replica that is warm.
 */
@Readiness
@ApplicationScoped
public class WarmUpReadinessCheck implements HealthCheck {

    private final ConnectionWarmUp warmUp;

    public WarmUpReadinessCheck(ConnectionWarmUp warmUp) {
        this.warmUp = warmUp;
    }

    @Override
    public HealthCheckResponse call() {
        ConnectionWarmUp.Progress progress = warmUp.progress();
        return HealthCheckResponse.named("warm-up").status(progress.finished())
                .withData("connections", progress.target())
                .withData("subscribed", progress.confirmed())
                .withData("token_checks", progress.tokenChecks())
                .withData("database_connections", progress.databaseConnections())
                .withData("seconds", Math.round(progress.seconds() * 10) / 10.0 + "")
                .build();
    }
}
