package dev.pulse.gateway.sources;

import java.time.Duration;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import dev.pulse.gateway.config.PulseConfig;

/**
 * Ready only while both pollers keep running: a poller that has not finished a run for {@code pulse.sources.stale-after}
 * is stuck, and its subscribers would wait for pushes that never come while every source looks healthy.
 */
@Readiness
@ApplicationScoped
public class PollersReadinessCheck implements HealthCheck {

    private final PollerHeartbeats heartbeats;
    private final Duration staleAfter;

    public PollersReadinessCheck(PollerHeartbeats heartbeats, PulseConfig config) {
        this.heartbeats = heartbeats;
        this.staleAfter = config.sources().staleAfter();
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("pollers").up();
        for (Map.Entry<String, Duration> age : heartbeats.ages().entrySet()) {
            response.withData(age.getKey() + "_seconds_since_last_run", age.getValue().toSeconds());
            if (age.getValue().compareTo(staleAfter) > 0) {
                response.down();
            }
        }
        return response.build();
    }
}
