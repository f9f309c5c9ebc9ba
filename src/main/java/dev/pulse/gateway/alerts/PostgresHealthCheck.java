package dev.pulse.gateway.alerts;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheckResponse;
import dev.pulse.gateway.observability.DataSource;
import dev.pulse.gateway.sources.SourcesHealth;
import io.smallrye.health.api.HealthGroup;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * UP while PostgreSQL answers a trivial query; in the {@code sources} group, not in readiness. Replaces the reactive client's own datasource check
 * ({@code quarkus.datasource.health.enabled=false}), which logs a warning on every probe while the database is down:
 * one line every five seconds for the length of an outage. The outage itself is logged once, by the alert poller.
 */
@HealthGroup(SourcesHealth.GROUP)
@ApplicationScoped
public class PostgresHealthCheck implements AsyncHealthCheck {

    /** Readiness probes have a short deadline (Kubernetes' default is one second; ours is three). */
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private final Pool pool;

    public PostgresHealthCheck(Pool pool) {
        this.pool = pool;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return pool.query("SELECT 1").execute()
                .ifNoItem().after(TIMEOUT).fail()
                .map(ignored -> HealthCheckResponse.up(DataSource.POSTGRESQL.label()))
                .onFailure().recoverWithItem(HealthCheckResponse.down(DataSource.POSTGRESQL.label()));
    }
}
