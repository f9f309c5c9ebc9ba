package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.registry.RegistryStatistics;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Quiet;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/** A connection lives as long as its token, unless refreshed in band; the token may travel as a subprotocol. */
@QuarkusTest
class TokenLifetimeTest extends QuietRegistryTest {

    @Inject
    RegistryStatistics statistics;

    private static String expiringIn(String tenant, String subject, Duration lifetime) {
        return Tokens.claims(tenant, "customer_viewer").subject(subject).expiresAt(Instant.now().plus(lifetime))
                .sign();
    }

    @Test
    void whenExpPassesTheConnectionIsClosedWith4001TokenExpired() {
        String tenant = Tokens.newTenant();
        try (WsClient client = WsClient.connect(Endpoints.apiV2(expiringIn(tenant, "u1", Duration.ofSeconds(3))))) {
            assertThat(client.send(Frames.ping()).awaitType("pong")).isNotNull();
            assertThat(client.awaitClose()).isEqualTo(new WsClient.Close(4001, "Token expired"));
        }
        Quiet.awaitEmpty(registry);
    }

    @Test
    void aRefreshWithTheSameTenantAndSubjectKeepsTheConnectionPastTheOldExpiry() {
        String tenant = Tokens.newTenant();
        Instant oldExpiry = Instant.now().plusSeconds(3);
        String first = Tokens.claims(tenant, "customer_viewer").subject("u1").expiresAt(oldExpiry).sign();
        try (WsClient client = WsClient.connect(Endpoints.apiV2(first))) {
            client.send(Frames.subscribeDevice("d1")).awaitType("subscribed");
            String fresh = expiringIn(tenant, "u1", Duration.ofMinutes(30));
            JsonNode refreshed = client.send("{\"action\":\"refresh\",\"token\":\"" + fresh + "\"}")
                    .awaitType("refreshed");
            assertThat(refreshed.path("success").asBoolean()).isTrue();
            assertThat(Instant.parse(refreshed.path("data").path("expires_at").asText())).isAfter(oldExpiry);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(oldExpiry.plusSeconds(2)));
            assertThat(client.isClosedByServer()).isFalse();
            assertThat(client.send(Frames.ping()).awaitType("pong")).isNotNull();
            // The subscription survived the refresh.
            assertThat(statistics.deviceSubscriptionCount()).isEqualTo(1);
        }
    }

    @Test
    void aRefreshForAnotherSubjectOrTenantClosesWith4003() {
        String tenant = Tokens.newTenant();
        try (WsClient client = WsClient.connect(Endpoints.apiV2(expiringIn(tenant, "u1", Duration.ofMinutes(5))))) {
            client.send("{\"action\":\"refresh\",\"token\":\"" + expiringIn(tenant, "u2", Duration.ofMinutes(30))
                    + "\"}");
            assertThat(client.awaitClose()).isEqualTo(new WsClient.Close(4003, "Unauthorized"));
        }
        try (WsClient client = WsClient.connect(Endpoints.apiV2(expiringIn(tenant, "u1", Duration.ofMinutes(5))))) {
            client.send("{\"action\":\"refresh\",\"token\":\""
                    + expiringIn(Tokens.newTenant(), "u1", Duration.ofMinutes(30)) + "\"}");
            assertThat(client.awaitClose().code()).isEqualTo(4003);
        }
    }

    @Test
    void anInvalidRefreshTokenIsAnErrorAndTheCurrentTokenStaysInForce() {
        String tenant = Tokens.newTenant();
        try (WsClient client = WsClient.connect(Endpoints.apiV2(expiringIn(tenant, "u1", Duration.ofMinutes(5))))) {
            String expired = Tokens.claims(tenant, "customer_viewer").subject("u1")
                    .expiresAt(Instant.now().minusSeconds(600)).sign();
            for (String bad : new String[] { "not-a-jwt", expired }) {
                JsonNode error = client.send("{\"action\":\"refresh\",\"token\":\"" + bad + "\"}").awaitType("error");
                assertThat(error.path("code").asText()).isEqualTo("invalid_token");
            }
            assertThat(client.send("{\"action\":\"refresh\"}").awaitType("error").path("code").asText())
                    .isEqualTo("invalid_token");
            assertThat(client.send(Frames.ping()).awaitType("pong")).isNotNull();
        }
    }

    @Test
    void theTokenMayTravelAsASubprotocolSoItStaysOutOfTheUrl() {
        String tenant = Tokens.newTenant();
        try (WsClient client = WsClient.connectOffering(Endpoints.apiV2(null), "pulse",
                "bearer." + Tokens.valid(tenant))) {
            assertThat(client.subprotocol()).isEqualTo("pulse");
            assertThat(client.send(Frames.ping()).awaitType("pong")).isNotNull();
            assertThat(registry.connectionCount()).isEqualTo(1);
        }
        try (WsClient forged = WsClient.connectOffering(Endpoints.ws(null), "pulse", "bearer.not-a-jwt")) {
            assertThat(forged.awaitClose().code()).isEqualTo(4001);
        }
    }
}
