package dev.pulse.gateway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.pulse.gateway.registry.RegistryStatistics;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.session.GatewaySession;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.RawWsClient;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * A client that stops reading: its pending writes stay bounded, telemetry for it is conflated to the newest point,
 * any other message past the bound closes it with 4009, and a client beside it misses nothing.
 */
@QuarkusTest
@TestProfile(SlowConsumerTest.SmallBuffers.class)
class SlowConsumerTest extends QuietRegistryTest {

    public static class SmallBuffers implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pulse.delivery.max-pending-messages", String.valueOf(MAX_PENDING),
                    "pulse.delivery.socket-send-buffer", "4096");
        }
    }

    private static final int MAX_PENDING = 4;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** An 8 KiB event: a few of them fill the small socket buffers. */
    private static final String PAD = "x".repeat(8 * 1024);

    @Inject
    RegistryStatistics statistics;

    @Test
    void telemetryForABackedUpClientIsConflatedToTheNewestPointAndDeliveredWhenItReadsAgain() throws Exception {
        String tenant = Tokens.newTenant();
        String device = "d-" + tenant.substring(7, 15);
        try (RawWsClient slow = RawWsClient.open("/ws?token=" + Tokens.claims(tenant, "customer_viewer")
                .subject("slow-reader").sign(), Map.of(), 2048);
                WsClient normal = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)))) {
            slow.sendText(Frames.join("r"));
            slow.sendText("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"" + device + "\"}");
            normal.send(Frames.join("r")).awaitType("joined");
            GatewaySession session = sessionOf("slow-reader");
            Awaitility.await().until(() -> session.devices().contains(device) && session.rooms().contains("r"));

            // Fill the slow client's socket until exactly the bound of writes is pending; never beyond it.
            int published = 0;
            while (session.outbox().pending() < MAX_PENDING) {
                assertThat(published).as("pending writes never built up").isLessThan(500);
                publish(tenant, published++);
            }
            assertThat(session.outbox().pending()).isEqualTo(MAX_PENDING);

            // New telemetry now is held back, newest point per device only; the connection stays open.
            double conflated = Scrape.now().value("pulse_telemetry_conflated_total");
            Instant older = Instant.now().minusSeconds(20).truncatedTo(ChronoUnit.MILLIS);
            Stack.writeInflux(point(tenant, device, 1, older));
            Awaitility.await().atMost(Duration.ofSeconds(15))
                    .until(() -> Scrape.now().value("pulse_telemetry_conflated_total") >= conflated + 1);
            Instant newer = older.plusSeconds(10);
            Stack.writeInflux(point(tenant, device, 99, newer));
            Awaitility.await().atMost(Duration.ofSeconds(15))
                    .until(() -> Scrape.now().value("pulse_telemetry_conflated_total") >= conflated + 2);
            assertThat(session.isClosed()).isFalse();
            assertThat(session.outbox().pending()).isLessThanOrEqualTo(MAX_PENDING);

            // The client beside it got every event.
            for (int i = 0; i < published; i++) {
                int sequence = i;
                normal.await(m -> "event".equals(m.path("type").asText())
                        && m.path("data").path("seq").asInt(-1) == sequence);
            }

            // The slow client reads again: it gets the events, then only the newest point of the device.
            List<Double> values = new ArrayList<>();
            int events = 0;
            while (!values.contains(99.0)) {
                RawWsClient.Frame frame = slow.readFrame(Duration.ofSeconds(15));
                assertThat(frame).isNotNull();
                if (frame.opcode() != 1) {
                    continue;
                }
                JsonNode message = JSON.readTree(frame.text());
                switch (message.path("type").asText()) {
                    case "event" -> events++;
                    case "telemetry" -> values.add(message.path("data").path("metrics").path("value").asDouble());
                    default -> { }
                }
            }
            assertThat(values).containsExactly(99.0);
            assertThat(events).isEqualTo(published);
            slow.sendText(Frames.ping());
            assertThat(slow.readFrame(Duration.ofSeconds(5)).text()).contains("pong");
        }
    }

    @Test
    void aClientThatStopsReadingIsClosedWith4009AndForgottenWhileOthersGetEverything() {
        String tenant = Tokens.newTenant();
        double closedBefore = Scrape.now().value("pulse_slow_consumers_closed_total");
        try (RawWsClient slow = RawWsClient.open("/ws?token=" + Tokens.claims(tenant, "customer_viewer")
                .subject("stuck-reader").sign(), Map.of(), 2048);
                WsClient normal = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)))) {
            slow.sendText(Frames.join("r"));
            normal.send(Frames.join("r")).awaitType("joined");
            GatewaySession session = sessionOf("stuck-reader");
            Awaitility.await().until(() -> session.rooms().contains("r"));

            int published = 0;
            while (Scrape.now().value("pulse_slow_consumers_closed_total") == closedBefore) {
                assertThat(published).as("the stuck client was never closed").isLessThan(500);
                assertThat(session.outbox().pending()).isLessThanOrEqualTo(MAX_PENDING);
                publish(tenant, published++);
            }
            assertThat(session.outbox().pending()).isLessThanOrEqualTo(MAX_PENDING);
            // Forgotten: it never reads the close frame, so its TCP connection is dropped after the close timeout.
            Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> registry.connectionCount() == 1);
            assertThat(statistics.roomMembershipCount()).isEqualTo(1);

            for (int i = 0; i < published; i++) {
                int sequence = i;
                normal.await(m -> "event".equals(m.path("type").asText())
                        && m.path("data").path("seq").asInt(-1) == sequence);
            }
            assertThat(normal.send(Frames.ping()).awaitType("pong")).isNotNull();
            assertThat(slow.awaitClose(Duration.ofSeconds(10))).isIn(4009, -1);
        }
    }

    private GatewaySession sessionOf(String subject) {
        Awaitility.await().until(() -> registry.allSessions().stream()
                .anyMatch(s -> subject.equals(s.principal().subject())));
        return registry.allSessions().stream().filter(s -> subject.equals(s.principal().subject())).findFirst()
                .orElseThrow();
    }

    private static void publish(String tenant, int sequence) {
        Broadcasts.publish(tenant, "{\"event_type\":\"load\",\"room\":\"r\",\"data\":{\"seq\":" + sequence
                + ",\"pad\":\"" + PAD + "\"}}");
    }

    private static String point(String tenant, String device, double value, Instant time) {
        return "telemetry,tenant_id=" + tenant + ",device_id=" + device + " value=" + value + " "
                + Stack.nanos(time);
    }
}
