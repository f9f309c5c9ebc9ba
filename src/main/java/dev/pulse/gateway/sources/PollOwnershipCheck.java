package dev.pulse.gateway.sources;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.pulse.gateway.cluster.PollOwnership;

/**
 * Shows in readiness which tenants' reads this replica does for the cluster ({@link PollOwnership}). Always UP:
 * when polls cannot be shared, each replica reads its own tenants, so readiness must not follow PostgreSQL.
 */
@Readiness
@ApplicationScoped
public class PollOwnershipCheck implements HealthCheck {

    private final PollOwnership ownership;

    public PollOwnershipCheck(PollOwnership ownership) {
        this.ownership = ownership;
    }

    @Override
    public HealthCheckResponse call() {
        PollOwnership.Plan plan = ownership.plan();
        return HealthCheckResponse.named("poll-ownership").up()
                .withData("mode", !ownership.enabled() ? "local (shared polling off)"
                        : plan.shared() ? "shared" : "local (cannot share now)")
                .withData("replicas", plan.replicas())
                .withData("ownedTenants", plan.owned().size())
                .withData("tenantsReadElsewhere", plan.elsewhere().size())
                .build();
    }
}
