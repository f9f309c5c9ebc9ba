package dev.pulse.gateway.security;

import java.util.List;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import dev.pulse.gateway.config.PulseConfig;
import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;

/**
 * Refuses a WebSocket upgrade (HTTP 403) from a browser page of an origin not in {@code pulse.auth.allowed-origins}.
 * With no list configured every origin passes; a request without {@code Origin} (a non-browser client) always does,
 * because only browsers send it and only browsers need the protection against other sites' pages.
 */
@ApplicationScoped
public class OriginCheck implements HttpUpgradeCheck {

    private final Set<String> allowed;

    public OriginCheck(PulseConfig config) {
        this.allowed = Set.copyOf(config.auth().allowedOrigins().orElse(List.of()).stream()
                .map(origin -> origin.strip().toLowerCase()).filter(origin -> !origin.isEmpty()).toList());
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        String origin = context.httpRequest().getHeader("Origin");
        if (allowed.isEmpty() || origin == null || allowed.contains(origin.strip().toLowerCase())) {
            return CheckResult.permitUpgrade();
        }
        return CheckResult.rejectUpgrade(403);
    }
}
