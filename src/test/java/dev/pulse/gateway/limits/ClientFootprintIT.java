package dev.pulse.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.RawWsClient;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * Every client's footprint is bounded, against the packaged application in the prod profile: the event-type filter,
 * binary frames under the message rate, frames no larger than a message, unread bytes per connection, connections per
 * subject, and the close-code label of the metrics.
 */
class ClientFootprintIT {

    private static PackagedPulse pulse;

    @BeforeAll
    static void start() {
        pulse = PackagedPulse.startPackaged("client-footprint-it", Map.of());
    }

    @AfterAll
    static void stop() {
        pulse.close();
    }

    @Test
    void theEventTypeFilterIsCappedAndAnOversizedRequestChangesNothing() {
        try (WsClient client = WsClient.connect(pulse.ws("/ws", Tokens.valid(Tokens.newTenant())))) {
            String hundred = IntStream.range(0, 100).mapToObj(i -> "\"type_" + i + "\"")
                    .collect(Collectors.joining(","));
            JsonNode accepted = client.send("{\"action\":\"subscribe\",\"data\":{\"event_types\":[" + hundred + "]}}")
                    .next();
            assertThat(accepted.path("data").path("event_types")).hasSize(100);
            // Re-adding types it has changes nothing and is allowed; one more is not.
            assertThat(client.send("{\"action\":\"subscribe\",\"data\":{\"event_types\":[\"type_1\"]}}").next()
                    .path("data").path("event_types")).hasSize(100);
            JsonNode refused = client.send("{\"action\":\"subscribe\",\"data\":{\"event_types\":[\"one_more\"]}}")
                    .next();
            assertThat(refused.path("type").asText()).isEqualTo("error");
            assertThat(refused.path("code").asText()).isEqualTo("too_many_event_types");
            JsonNode info = client.send(Frames.info()).awaitType("info");
            assertThat(info.toString()).doesNotContain("one_more");
            assertThat(client.isClosedByServer()).isFalse();
        }
    }

    @Test
    void binaryFramesCountAgainstTheMessageRate() {
        try (WsClient client = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(Tokens.newTenant())))) {
            int rateLimited = client.floodUntilClosed(80, i -> client.sendBinary(new byte[] { 1, 2, 3 }));
            assertThat(client.awaitClose().code()).isEqualTo(1008);
            assertThat(rateLimited).isEqualTo(10);
        }
    }

    @Test
    void aFrameLargerThanAMessageIsRefusedFromItsHeaderWithoutBufferingIt() {
        try (RawWsClient raw = RawWsClient.open(pulse.port(), "/api/v2/ws?token="
                + Tokens.valid(Tokens.newTenant()), Map.of(), 0)) {
            assertThat(raw.status()).isEqualTo(101);
            // Declares a megabyte and sends a kilobyte of it: the server closes at once instead of waiting for the rest.
            raw.sendFrameStart(1, 1 << 20, 1024);
            assertThat(raw.awaitClose(Duration.ofSeconds(3))).isEqualTo(1009);
        }
    }

    @Test
    void aClientThatDoesNotReadIsClosedAtTheByteBound() {
        String tenant = Tokens.newTenant();
        String publisher = Tokens.sign(Tokens.claims(tenant, "service"));
        String bigEvent = "{\"event_type\":\"bulk\",\"room\":\"r\",\"data\":{\"pad\":\"" + "x".repeat(60_000) + "\"}}";
        double closedBefore = Scrape.of(pulse).value("pulse_slow_consumers_closed_total");
        double activeBefore = Scrape.of(pulse).value("pulse_connections_active", "endpoint=\"ws\"");
        try (RawWsClient slow = RawWsClient.open(pulse.port(), "/ws?token=" + Tokens.valid(tenant), Map.of(), 2048)) {
            slow.sendText(Frames.join("r"));
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> pulse.post("/ws/broadcast", publisher, "{\"event_type\":\"probe\",\"room\":\"r\"}") == 202
                            && Scrape.of(pulse).value("pulse_rooms_active") >= 1);
            // Up to 200 events of 60 KB (12 MB): far below the 4,096-message bound, and past what the kernel's socket
            // buffers take (a few MB on loopback) plus the 1 MiB byte bound.
            for (int i = 0; i < 200 && Scrape.of(pulse).value("pulse_slow_consumers_closed_total") == closedBefore;
                    i++) {
                assertThat(pulse.post("/ws/broadcast", publisher, bigEvent)).isEqualTo(202);
            }
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> Scrape.of(pulse).value("pulse_slow_consumers_closed_total") > closedBefore);
            // It never reads the close frame either: its TCP connection is dropped after the close timeout (5 s).
            Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> Scrape.of(pulse)
                    .value("pulse_connections_active", "endpoint=\"ws\"") == activeBefore);
        }
    }

    @Test
    void aSubjectMayHoldAHundredConnectionsPerReplicaByDefault() {
        String tenant = Tokens.newTenant();
        String subject = "user-" + tenant;
        List<WsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 100; i++) {
                WsClient client = WsClient.connect(pulse.ws("/api/v2/ws",
                        Tokens.sign(Tokens.claims(tenant, "customer_viewer").subject(subject))));
                clients.add(client);
            }
            clients.get(99).send(Frames.ping()).awaitType("pong");
            try (WsClient extra = WsClient.connect(pulse.ws("/api/v2/ws",
                    Tokens.sign(Tokens.claims(tenant, "customer_viewer").subject(subject))))) {
                assertThat(extra.awaitClose().code()).isEqualTo(4029);
            }
            // Another subject of the same tenant is not affected.
            try (WsClient other = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant)))) {
                other.send(Frames.ping()).awaitType("pong");
            }
        } finally {
            clients.forEach(WsClient::close);
        }
    }

    @Test
    void closeCodesAClientChoosesShareOneMetricLabel() {
        try (RawWsClient raw = RawWsClient.open(pulse.port(), "/api/v2/ws?token="
                + Tokens.valid(Tokens.newTenant()), Map.of(), 0)) {
            raw.sendText(Frames.ping());
            assertThat(raw.readFrame(Duration.ofSeconds(5)).text()).contains("pong");
            double before = Scrape.of(pulse).value("pulse_connections_closed_total", "code=\"client\"");
            raw.sendClose(4321);
            raw.awaitClose(Duration.ofSeconds(5));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> Scrape.of(pulse)
                    .value("pulse_connections_closed_total", "code=\"client\"") == before + 1);
            assertThat(Scrape.of(pulse).text()).doesNotContain("code=\"4321\"");
        }
    }
}
