package dev.pulse.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/** The scenario of the live-telemetry design, end to end over a real WebSocket against the real servers. */
@QuarkusTest
@QuarkusTestResource(LocalStack.class)
class SeedScenarioTest {

    @Inject
    ConnectionRegistry registry;

    @Test
    void telemetryAndAlertsFlowFromSubscribeToDisconnect() {
        String tenant = Tokens.newTenant();
        String device = "dev-0001";
        Instant first = Instant.now().minusSeconds(5).truncatedTo(ChronoUnit.MILLIS);
        Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=" + device
                + " temperature=21.5,battery=87i,online=true,status=\"ok\" " + Stack.nanos(first));
        Stack.insertAlert(tenant, device, "HIGH_TEMP", "OPEN", "first alert");

        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
            client.send("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"" + device + "\"}");
            JsonNode subscribed = client.next();
            assertThat(subscribed.toString())
                    .isEqualTo("{\"type\":\"subscribed\",\"channel\":\"device\",\"device_id\":\"dev-0001\"}");

            // The latest point comes at once on subscribe, with every field and its JSON type.
            JsonNode initial = client.awaitType("telemetry");
            assertThat(initial.path("device_id").asText()).isEqualTo(device);
            assertThat(initial.path("data").path("timestamp").asText()).isEqualTo(first.toString());
            JsonNode metrics = initial.path("data").path("metrics");
            assertThat(metrics.path("temperature").isNumber()).isTrue();
            assertThat(metrics.path("temperature").asDouble()).isEqualTo(21.5);
            assertThat(metrics.path("battery").isIntegralNumber()).isTrue();
            assertThat(metrics.path("battery").asLong()).isEqualTo(87);
            assertThat(metrics.path("online").isBoolean()).isTrue();
            assertThat(metrics.path("online").asBoolean()).isTrue();
            assertThat(metrics.path("status").isTextual()).isTrue();
            assertThat(metrics.path("status").asText()).isEqualTo("ok");

            // A point written during the session is pushed by the poller; fields it lacks are omitted, not blanked.
            Instant second = first.plusSeconds(2);
            Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=" + device
                    + " temperature=23.25 " + Stack.nanos(second));
            JsonNode pushed = client.awaitType("telemetry");
            assertThat(pushed.path("data").path("timestamp").asText()).isEqualTo(second.toString());
            assertThat(pushed.path("data").path("metrics").toString()).isEqualTo("{\"temperature\":23.25}");

            client.send(Frames.subscribeAlerts());
            assertThat(client.awaitType("subscribed").toString())
                    .isEqualTo("{\"type\":\"subscribed\",\"channel\":\"alerts\"}");
            JsonNode alerts = client.awaitType("alerts");
            assertThat(alerts.path("alerts")).hasSize(1);
            JsonNode alert = alerts.path("alerts").get(0);
            assertThat(alert.path("summary").asText()).isEqualTo("first alert");
            assertThat(alert.path("device_id").asText()).isEqualTo(device);
            assertThat(alert.path("status").asText()).isEqualTo("OPEN");
            assertThat(alert.path("details").path("threshold").asInt()).isEqualTo(30);
            assertThat(alert.path("created_at").asText()).endsWith("Z");

            // A change in PostgreSQL reaches the subscriber: newest first.
            Stack.insertAlert(tenant, device, "LOW_BATTERY", "OPEN", "second alert");
            JsonNode changed = client.await(m -> "alerts".equals(m.path("type").asText())
                    && m.path("alerts").size() == 2);
            assertThat(changed.path("alerts").get(0).path("summary").asText()).isEqualTo("second alert");

            // Unsubscribe stops pushes. A second client of the tenant keeps watching, so the pushes do happen; the
            // first client's pong then proves nothing was queued for it before (one connection's frames are ordered).
            try (WsClient witness = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
                witness.send("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"" + device + "\"}");
                witness.send(Frames.subscribeAlerts());
                witness.await(m -> "alerts".equals(m.path("type").asText()) && m.path("alerts").size() == 2);

                client.send("{\"action\":\"unsubscribe\",\"type\":\"device\",\"device_id\":\"" + device + "\"}");
                assertThat(client.awaitType("unsubscribed").toString())
                        .isEqualTo("{\"type\":\"unsubscribed\",\"channel\":\"device\",\"device_id\":\"dev-0001\"}");
                client.send(Frames.unsubscribeAlerts());
                assertThat(client.awaitType("unsubscribed").toString())
                        .isEqualTo("{\"type\":\"unsubscribed\",\"channel\":\"alerts\"}");
                client.drain();

                Instant third = second.plusSeconds(1);
                Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=" + device
                        + " temperature=30 " + Stack.nanos(third));
                Stack.insertAlert(tenant, device, "HIGH_TEMP", "OPEN", "third alert");
                witness.await(m -> "telemetry".equals(m.path("type").asText())
                        && third.toString().equals(m.path("data").path("timestamp").asText()));
                witness.await(m -> "alerts".equals(m.path("type").asText()) && m.path("alerts").size() == 3);

                assertThat(client.everythingBeforePong()).noneMatch(m -> "telemetry".equals(m.path("type").asText())
                        || "alerts".equals(m.path("type").asText()));
            }
        }

        // Disconnecting leaves nothing behind.
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.connectionCount() == 0
                && registry.tenantCount() == 0);
    }

    @Test
    void pingAnswersPongWithServerTime() {
        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(Tokens.newTenant())))) {
            Instant before = Instant.now().minusSeconds(1);
            JsonNode pong = client.send(Frames.ping()).next();
            assertThat(pong.path("type").asText()).isEqualTo("pong");
            assertThat(Instant.parse(pong.path("timestamp").asText())).isAfter(before);
            assertThat(client.send("{\"type\":\"ping\"}").next().path("type").asText()).isEqualTo("pong");
        }
    }
}
