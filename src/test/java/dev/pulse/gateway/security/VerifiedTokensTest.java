package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A token verified once is remembered ({@code pulse.auth.verified-token-ttl}), and remembering it skips only the
 * signature check: the same token is accepted again with the same principal, every use still checks its roles and
 * tenant, and any other string, even one that differs from a remembered token by a character, is verified afresh.
 */
@QuarkusTest
class VerifiedTokensTest {

    @Inject
    TokenVerifier verifier;

    @Test
    void aRememberedTokenIsAcceptedAgainWithTheSamePrincipal() throws Exception {
        String tenant = Tokens.newTenant();
        String token = Tokens.valid(tenant);
        GatewayPrincipal first = verifier.verify(Optional.of(token));
        GatewayPrincipal again = verifier.verify(Optional.of(token));
        assertThat(again).isEqualTo(first);
        assertThat(again.tenant()).isEqualTo(tenant);
    }

    @Test
    void aRememberedTokenIsStillCheckedForTheRoleOfEachUse() throws Exception {
        String token = Tokens.valid(Tokens.newTenant());
        verifier.verify(Optional.of(token));
        assertThatThrownBy(() -> verifier.verify(Optional.of(token), Set.of("service"), true))
                .isInstanceOfSatisfying(AuthenticationFailure.class,
                        failure -> assertThat(failure.metricReason()).isEqualTo("role"));
    }

    @Test
    void aTokenThatDiffersFromARememberedOneIsVerifiedAfresh() throws Exception {
        String token = Tokens.valid(Tokens.newTenant());
        verifier.verify(Optional.of(token));
        // Inside the signature (the last character may carry only padding bits).
        int at = token.length() - 10;
        String tampered = token.substring(0, at) + (token.charAt(at) == 'A' ? 'B' : 'A') + token.substring(at + 1);
        assertThatThrownBy(() -> verifier.verify(Optional.of(tampered)))
                .isInstanceOfSatisfying(AuthenticationFailure.class,
                        failure -> assertThat(failure.metricReason()).isEqualTo("invalid_token"));
    }
}
