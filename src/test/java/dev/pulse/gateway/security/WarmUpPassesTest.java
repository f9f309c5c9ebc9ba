package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;


class WarmUpPassesTest {

    private final WarmUpPasses passes = new WarmUpPasses();
    private final Instant expiry = Instant.now().plusSeconds(30);

    @Test
    void aPassAdmitsOnceAsTheReservedTenant() {
        String pass = passes.issue("warm-up-1", "customer_viewer", expiry);
        Optional<GatewayPrincipal> principal = passes.redeem(Optional.of(pass));
        assertThat(principal).contains(new GatewayPrincipal(WarmUpPasses.TENANT, "warm-up-1", "customer_viewer", expiry));
        assertThat(passes.redeem(Optional.of(pass))).isEmpty();
    }

    @Test
    void passesAreUnguessableAndRevocable() {
        String first = passes.issue("a", "customer_viewer", expiry);
        String second = passes.issue("b", "customer_viewer", expiry);
        assertThat(first).isNotEqualTo(second).startsWith("warm-up.").hasSizeGreaterThanOrEqualTo("warm-up.".length() + 43);
        char last = first.charAt(first.length() - 1);
        String altered = first.substring(0, first.length() - 1) + (last == 'A' ? 'B' : 'A');
        assertThat(passes.redeem(Optional.of(altered))).isEmpty();
        passes.revokeAll();
        assertThat(passes.redeem(Optional.of(first))).isEmpty();
        assertThat(passes.redeem(Optional.of(second))).isEmpty();
        assertThat(passes.redeem(Optional.empty())).isEmpty();
    }
}
