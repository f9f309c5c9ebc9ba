package dev.pulse.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.registry.RegistryStatistics;
import dev.pulse.gateway.registry.ConnectionRegistry;
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

/** Every per-connection, per-tenant and per-subject limit, crossed. */
@QuarkusTest
@TestProfile(LimitsTest.SmallLimits.class)
class LimitsTest extends QuietRegistryTest {

    public static class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pulse.limits.messages-per-minute", "5",
                    "pulse.limits.rate-violations-before-close", "3",
                    "pulse.limits.devices-per-connection", "3",
                    "pulse.limits.rooms-per-connection", "2",
                    "pulse.limits.connections-per-tenant", "3",
                    "pulse.limits.connections-per-subject", "2");
        }
    }

    @Inject
    RegistryStatistics statistics;

    @Test
    void tooManyMessagesGetRateLimitedThenTheConnectionIsClosedWith1008() {
        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(Tokens.newTenant())))) {
            for (int i = 0; i < 5; i++) {
                assertThat(client.send(Frames.ping()).next().path("type").asText()).isEqualTo("pong");
            }
            for (int i = 0; i < 3; i++) {
                JsonNode error = client.send(Frames.ping()).next();
                assertThat(error.path("code").asText()).isEqualTo("rate_limited");
            }
            client.send(Frames.ping());
            assertThat(client.awaitClose()).isEqualTo(new WsClient.Close(1008, "Rate limit exceeded"));
        }
        assertThat(Scrape.now().value("pulse_rate_limited_total")).isGreaterThanOrEqualTo(4);
    }

    @Test
    void deviceAndRoomCapsGiveErrorsAndKeepTheConnection() {
        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(Tokens.newTenant())))) {
            for (String device : List.of("d1", "d2", "d3")) {
                client.send("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"" + device + "\"}")
                        .awaitType("subscribed");
            }
            assertThat(client.send(Frames.subscribeDevice("d4"))
                    .awaitType("error").path("code").asText()).isEqualTo("too_many_devices");
        }
        try (WsClient client = WsClient.connect(Endpoints.ws(Tokens.valid(Tokens.newTenant())))) {
            client.send(Frames.join("r1")).awaitType("joined");
            client.send(Frames.join("r2")).awaitType("joined");
            assertThat(client.send(Frames.join("r3")).awaitType("error").path("code").asText())
                    .isEqualTo("too_many_rooms");
            // Joining a room it is already in is not a new room.
            assertThat(client.send(Frames.join("r1")).next().path("type").asText())
                    .isEqualTo("joined");
            assertThat(statistics.roomMembershipCount()).isEqualTo(2);
        }
    }

    @Test
    void subjectAndTenantConnectionCapsCloseWith4029() {
        String tenant = Tokens.newTenant();
        List<WsClient> open = new ArrayList<>();
        try {
            String sameUser = Tokens.claims(tenant, "customer_viewer").subject("same-user").sign();
            // Each one authenticated (answered) before the next: otherwise the order of the token checks decides
            // which of the three is refused.
            open.add(answering(WsClient.connect(Endpoints.apiV2(sameUser))));
            open.add(answering(WsClient.connect(Endpoints.apiV2(sameUser))));
            try (WsClient third = WsClient.connect(Endpoints.apiV2(sameUser))) {
                assertThat(third.awaitClose()).isEqualTo(new WsClient.Close(4029, "Too many connections"));
            }
            open.add(answering(WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))));
            try (WsClient fourth = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
                assertThat(fourth.awaitClose().code()).isEqualTo(4029);
            }
            for (WsClient client : open) {
                assertThat(client.send(Frames.ping()).next().path("type").asText()).isEqualTo("pong");
            }
            // Another tenant is not affected by this one's limit.
            try (WsClient other = WsClient.connect(Endpoints.apiV2(Tokens.valid(Tokens.newTenant())))) {
                assertThat(other.send(Frames.ping()).next().path("type").asText()).isEqualTo("pong");
            }
            assertThat(Scrape.now().value("pulse_connections_refused_total", "limit=\"subject\"")).isEqualTo(1);
            assertThat(Scrape.now().value("pulse_connections_refused_total", "limit=\"tenant\"")).isEqualTo(1);
        } finally {
            open.forEach(WsClient::close);
        }
        // Once a connection ends, its place is free again.
        Quiet.awaitEmpty(registry);
        try (WsClient again = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
            assertThat(again.send(Frames.ping()).next().path("type").asText()).isEqualTo("pong");
        }
    }

    @Test
    void aMessageOverTheSizeLimitClosesWith1009WhetherSentWholeOrInFragments() {
        String token = Tokens.valid(Tokens.newTenant());
        try (WsClient client = WsClient.connect(Endpoints.apiV2(token))) {
            client.send("{\"action\":\"ping\",\"pad\":\"" + "x".repeat(70_000) + "\"}");
            assertThat(client.awaitClose())
                    .isEqualTo(new WsClient.Close(1009, "Message too big; the limit is 65536 bytes"));
        }
        try (RawWsClient raw = RawWsClient.open("/api/v2/ws?token=" + token)) {
            byte[] half = "x".repeat(40_000).getBytes(StandardCharsets.UTF_8);
            raw.sendFrameRaw(false, 1, half);
            raw.sendFrameRaw(true, 0, half);
            assertThat(raw.awaitClose(Duration.ofSeconds(10))).isEqualTo(1009);
        }
        // Just under the limit is fine.
        try (WsClient client = WsClient.connect(Endpoints.apiV2(token))) {
            String pad = "x".repeat(65_536 - "{\"action\":\"ping\",\"pad\":\"\"}".length());
            assertThat(client.send("{\"action\":\"ping\",\"pad\":\"" + pad + "\"}").next().path("type").asText())
                    .isEqualTo("pong");
        }
        assertThat(Scrape.now().value("pulse_frames_rejected_total", "code=\"1009\"")).isGreaterThanOrEqualTo(2);
    }

    private static WsClient answering(WsClient client) {
        client.send(Frames.ping()).awaitType("pong");
        return client;
    }
}
