package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;

import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A token verified once is remembered ({@code pulse.auth.verified-token-ttl}), and remembering it skips only the
 * signature check: the same token is accepted again with the same principal, every use still checks its roles and
 * tenant, and any other string, even one that differs from a remembered token by a character, is verified afresh.
 * The REST guard answers a remembered token on the event loop ({@link TokenVerifier#rememberedPrincipal}) with the
 * same checks; an expired one is not remembered.
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

    @Test
    void onlyARememberedTokenIsAnsweredWithoutBlockingAndWithTheSameChecks() throws Exception {
        String tenant = Tokens.newTenant();
        String token = Tokens.valid(tenant);
        assertThat(verifier.rememberedPrincipal(token, Set.of("customer_viewer"), true)).isNull();

        GatewayPrincipal verified = verifier.verify(Optional.of(token));
        assertThat(verifier.rememberedPrincipal(token, Set.of("customer_viewer"), true)).isEqualTo(verified);
        assertThatThrownBy(() -> verifier.rememberedPrincipal(token, Set.of("service"), true))
                .isInstanceOfSatisfying(AuthenticationFailure.class,
                        failure -> assertThat(failure.metricReason()).isEqualTo("role"));
    }

    @Test
    void aRememberedTokenIsForgottenWhenItExpires() throws Exception {
        String token = Tokens.sign(Tokens.claims(Tokens.newTenant(), "customer_viewer")
                .expiresAt(Instant.now().plusSeconds(5)));
        verifier.verify(Optional.of(token));
        assertThat(verifier.rememberedPrincipal(token, Set.of("customer_viewer"), true)).isNotNull();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(
                verifier.rememberedPrincipal(token, Set.of("customer_viewer"), true)).isNull());
    }

    @Test
    void theRestGuardChecksTheRoleOfARememberedTokenOnEveryRequest() throws Exception {
        String tenant = Tokens.newTenant();
        String viewer = Tokens.valid(tenant);
        try (WsClient client = WsClient.connect(Endpoints.ws(viewer))) {
            client.send(Frames.join("ops")).awaitType("joined");
            // Remembered by the connect; a viewer still may not publish.
            Broadcasts.post(viewer, "{\"event_type\":\"deployed\",\"data\":{}}").statusCode(403);
            Broadcasts.post(viewer, "{\"event_type\":\"deployed\",\"data\":{}}").statusCode(403);
        }
        String publisher = Broadcasts.serviceToken(tenant);
        Broadcasts.post(publisher, "{\"event_type\":\"deployed\",\"data\":{}}").statusCode(202);
        Broadcasts.post(publisher, "{\"event_type\":\"deployed\",\"data\":{}}").statusCode(202);
        assertThat(verifier.rememberedPrincipal(publisher, Set.of("service"), true).tenant()).isEqualTo(tenant);
    }
}
