package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Quiet;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.RawWsClient;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** The Origin allow-list at the upgrade, and the guard against reconnect storms. */
@QuarkusTest
@TestProfile(OriginAndConnectRateTest.Guarded.class)
class OriginAndConnectRateTest extends QuietRegistryTest {

    public static class Guarded implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pulse.auth.allowed-origins", "https://dash.example.com, https://ops.example.com",
                    "pulse.limits.connects-per-second", "5");
        }
    }

    @Test
    void aPageFromAnotherOriginIsRefusedAtTheUpgrade() {
        String path = "/api/v2/ws?token=" + Tokens.valid(Tokens.newTenant());
        try (RawWsClient evil = RawWsClient.open(path, Map.of("Origin", "https://evil.example.net"), 0)) {
            assertThat(evil.status()).isEqualTo(403);
        }
        try (RawWsClient lookalike = RawWsClient.open(path, Map.of("Origin", "https://dash.example.com.evil.net"), 0)) {
            assertThat(lookalike.status()).isEqualTo(403);
        }
        try (RawWsClient dashboard = RawWsClient.open(path, Map.of("Origin", "https://DASH.example.com"), 0)) {
            assertThat(dashboard.status()).isEqualTo(101);
        }
        // A backend sends no Origin; only browsers need protecting from other sites' pages.
        try (RawWsClient backend = RawWsClient.open(path)) {
            assertThat(backend.status()).isEqualTo(101);
        }
        assertThat(registry.connectionCount()).isLessThanOrEqualTo(2);
    }

    @Test
    void aBurstOfConnectsBeyondTheRateIsToldToComeBackLater() {
        Quiet.awaitEmpty(registry);
        String tenant = Tokens.newTenant();
        List<WsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                clients.add(WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant))));
            }
            // Each connection is either registered or closed by the server; wait until all are one or the other.
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> registry.connectionCount()
                    + clients.stream().filter(WsClient::isClosedByServer).count() == clients.size());
            int refused = 0;
            for (WsClient client : clients) {
                if (client.isClosedByServer()) {
                    WsClient.Close close = client.awaitClose();
                    assertThat(close.code()).isEqualTo(1013);
                    assertThat(close.reason()).matches("Try again later; reconnect in \\d+ ms");
                    // The same delay, machine-readable, just before the close.
                    var hint = client.awaitType("reconnect");
                    assertThat(hint.path("code").asInt()).isEqualTo(1013);
                    assertThat(close.reason()).endsWith("in " + hint.path("retry_after_ms").asLong() + " ms");
                    refused++;
                } else {
                    assertThat(client.send(Frames.ping()).awaitType("pong")).isNotNull();
                }
            }
            // 5 per second with a burst of 5: of 20 connects in well under 3 s, at least 5 are refused.
            assertThat(refused).isGreaterThanOrEqualTo(5);
            assertThat(Scrape.now().value("pulse_connections_refused_total", "limit=\"connect_rate\""))
                    .isGreaterThanOrEqualTo(refused);
        } finally {
            clients.forEach(WsClient::close);
        }
    }
}
