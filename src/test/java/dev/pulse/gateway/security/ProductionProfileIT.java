package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * What the prod profile of the packaged application insists on and what it leaves out: it refuses to start without a
 * token audience or a cluster secret of 32+ bytes (each named in the message); operator surfaces are on the
 * management port only; there is no {@code /dev/token} and no demo simulator; roles come from the role claim alone
 * unless {@code pulse.auth.roles-from-groups} is on.
 */
class ProductionProfileIT {

    private static final String GROUPS_ONLY_ADMIN = "customer_admin";

    @Test
    void refusesToStartWithoutAnAudienceOrAStrongClusterSecret() {
        assertRefused("prod-no-audience", Map.of(), "MP_JWT_VERIFY_AUDIENCES", "MP_JWT_VERIFY_AUDIENCES");
        assertRefused("prod-no-secret", Map.of(), "PULSE_CLUSTER_SECRET", "PULSE_CLUSTER_SECRET");
        assertRefused("prod-short-secret", Map.of("PULSE_CLUSTER_SECRET", "too-short-secret"), "PULSE_CLUSTER_SECRET",
                null);
    }

    @Test
    void servesNoOperatorSurfaceDevTokenOrDemoOnThePublicPortAndReadsRolesFromOneClaim() {
        try (PackagedPulse pulse = PackagedPulse.startPackaged("prod-surfaces", Map.of())) {
            for (String path : new String[] { "/q/metrics", "/q/health", "/q/health/ready", "/dev/token" }) {
                assertThat(pulse.publicStatus(path)).as(path).isEqualTo(404);
            }
            assertThat(pulse.status("/q/health/ready")).isEqualTo(200);
            assertThat(pulse.body("/q/metrics")).contains("pulse_connections_active");
            assertThat(pulse.log()).doesNotContain("Demo mode");
            assertThat(pulse.body("/q/metrics")).doesNotContain("demo-fleet");

            try (WsClient groupsOnly = WsClient.connect(pulse.ws("/api/v2/ws", groupsOnlyToken()))) {
                assertThat(groupsOnly.awaitClose().code()).isEqualTo(4003);
            }
        }
    }

    @Test
    void readsRolesFromGroupsWhenAskedRunsWithoutASecretWhenTheRelayIsOffAndSimulatesOnlyWhenAsked() {
        Map<String, String> stack = LocalStack.environment("test");
        try (PackagedPulse pulse = PackagedPulse.startPackaged("prod-groups", Map.of(
                "PULSE_AUTH_ROLES_FROM_GROUPS", "true", "PULSE_CLUSTER_ENABLED", "false",
                "PULSE_CLUSTER_SECRET", "", "PULSE_DEMO_ENABLED", "true",
                "PULSE_DEMO_TENANT", Tokens.newTenant(),
                "PULSE_DEMO_INFLUX_USERNAME", stack.get("PULSE_STACK_INFLUX_ADMIN_USER"),
                "PULSE_DEMO_INFLUX_PASSWORD", stack.get("PULSE_STACK_INFLUX_ADMIN_PASSWORD")))) {
            try (WsClient groupsOnly = WsClient.connect(pulse.ws("/api/v2/ws", groupsOnlyToken()))) {
                groupsOnly.send(Frames.ping()).awaitType("pong");
            }
            assertThat(pulse.log()).contains("Demo mode");
        }
    }

    private static String groupsOnlyToken() {
        return Tokens.sign(Tokens.base().claim("tenant_id", Tokens.newTenant())
                .groups(java.util.Set.of(GROUPS_ONLY_ADMIN)));
    }

    private static void assertRefused(String name, Map<String, String> environment, String removedOrNull,
            String expectedInMessage) {
        try (PackagedPulse pulse = environment.isEmpty()
                ? PackagedPulse.launchWithout(name, environment, removedOrNull)
                : PackagedPulse.launchWithout(name, environment)) {
            OptionalInt exit = pulse.awaitExit(Duration.ofSeconds(30));
            assertThat(exit).as("%s exited; log:%n%s", name, pulse.log()).isPresent();
            assertThat(exit.getAsInt()).isNotZero();
            assertThat(pulse.log()).contains("Pulse refuses to start in the prod profile")
                    .contains(expectedInMessage != null ? expectedInMessage : "at least 32 bytes");
        }
    }
}
