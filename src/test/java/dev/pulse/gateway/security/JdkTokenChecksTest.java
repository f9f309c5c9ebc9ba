package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.Signature;
import java.util.Map;
import java.util.Optional;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * With {@code pulse.auth.native-rsa=false} the JDK's code checks RSA signatures (NSS, if an earlier application of
 * this JVM put it first, is moved behind the JDK's providers), the gauge says 0, and tokens verify as before.
 */
@QuarkusTest
@TestProfile(JdkTokenChecksTest.WithoutNss.class)
class JdkTokenChecksTest {

    public static class WithoutNss implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pulse.auth.native-rsa", "false");
        }
    }

    @Inject
    TokenVerifier verifier;

    @Test
    void theJdkChecksSignaturesAndTheGaugeSaysSo() throws Exception {
        assertThat(NativeRsaVerification.active()).isFalse();
        assertThat(Scrape.now().value("pulse_auth_native_rsa")).isEqualTo(0.0);
        Signature check = Signature.getInstance("SHA256withRSA");
        check.initVerify(java.security.KeyPairGenerator.getInstance("RSA").generateKeyPair().getPublic());
        assertThat(check.getProvider().getName()).isEqualTo("SunRsaSign");

        String tenant = Tokens.newTenant();
        String token = Tokens.valid(tenant);
        assertThat(verifier.verify(Optional.of(token)).tenant()).isEqualTo(tenant);
        String other = Tokens.valid(tenant);
        String swapped = token.substring(0, token.lastIndexOf('.')) + other.substring(other.lastIndexOf('.'));
        assertThatThrownBy(() -> verifier.verify(Optional.of(swapped)))
                .isInstanceOfSatisfying(AuthenticationFailure.class,
                        failure -> assertThat(failure.metricReason()).isEqualTo("invalid_token"));
    }
}
