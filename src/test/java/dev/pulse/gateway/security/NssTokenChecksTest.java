package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The application checks RSA token signatures with NSS ({@code pulse.auth.native-rsa}, on by default), says so in
 * {@code pulse_auth_native_rsa}, and with NSS in charge still accepts exactly the tokens its issuer signed.
 */
@QuarkusTest
class NssTokenChecksTest {

    @Inject
    TokenVerifier verifier;

    @Test
    void theApplicationChecksSignaturesWithNssAndSaysSo() {
        assertThat(NativeRsaVerification.active()).isTrue();
        assertThat(Scrape.now().value("pulse_auth_native_rsa")).isEqualTo(1.0);
    }

    @Test
    void withNssATokenVerifiesOnlyWithItsOwnSignature() throws Exception {
        assertThat(NativeRsaVerification.active()).isTrue();
        String tenant = Tokens.newTenant();
        String token = Tokens.valid(tenant);
        assertThat(verifier.verify(Optional.of(token)).tenant()).isEqualTo(tenant);

        // Another token's signature on this token's header and claims, and a signature with one bit changed.
        String other = Tokens.valid(tenant);
        String swapped = token.substring(0, token.lastIndexOf('.')) + other.substring(other.lastIndexOf('.'));
        int at = token.lastIndexOf('.') + 20;
        String flipped = token.substring(0, at) + (token.charAt(at) == 'A' ? 'B' : 'A') + token.substring(at + 1);
        for (String forged : new String[] {swapped, flipped}) {
            assertThatThrownBy(() -> verifier.verify(Optional.of(forged)))
                    .isInstanceOfSatisfying(AuthenticationFailure.class,
                            failure -> assertThat(failure.metricReason()).isEqualTo("invalid_token"));
        }
    }
}
