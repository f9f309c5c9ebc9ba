package dev.pulse.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * A fleet dashboard can watch its fleet, against the packaged application: 1,000 single-device subscribes sent in a
 * burst all pass (1,000 confirmations and telemetry for every device); 500 devices in one list-form message get one
 * confirmation naming what was accepted and what was refused; a junk flood is still limited and closed with 1008.
 * Also: every connection opens with a {@code connected} event, and presence events reach only room members who asked
 * for them.
 */
class FleetDashboardIT {

    private static final int FLEET = 1000;
    private static PackagedPulse pulse;
    private static String tenant;

    @BeforeAll
    static void start() {
        pulse = PackagedPulse.startPackaged("fleet-dashboard-it", Map.of());
        tenant = Tokens.newTenant();
        Instant now = Instant.now();
        Stack.writeInflux(IntStream.range(0, FLEET).mapToObj(i -> "telemetry,tenant_id=" + Stack.tag(tenant)
                + ",device_id=" + device(i) + " value=" + i + " " + Stack.nanos(now)).collect(Collectors.joining("\n")));
    }

    @AfterAll
    static void stop() {
        pulse.close();
    }

    @Test
    void aThousandSingleSubscribesInABurstAllPassAndEveryDeviceGetsTelemetry() {
        try (WsClient dashboard = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant)))) {
            for (int i = 0; i < FLEET; i++) {
                dashboard.send(Frames.subscribeDevice(device(i)));
            }
            Set<String> confirmed = new HashSet<>();
            Set<String> withTelemetry = new HashSet<>();
            while (confirmed.size() < FLEET || withTelemetry.size() < FLEET) {
                JsonNode message = dashboard.await(m -> true, Duration.ofSeconds(15));
                switch (message.path("type").asText()) {
                    case "subscribed" -> confirmed.add(message.path("device_id").asText());
                    case "telemetry" -> withTelemetry.add(message.path("device_id").asText());
                    default -> throw new AssertionError("unexpected " + message);
                }
            }
            assertThat(dashboard.isClosedByServer()).isFalse();
            dashboard.send(Frames.ping()).awaitType("pong");
        }
    }

    @Test
    void fiveHundredDevicesInOneListMessageGetOneConfirmation() {
        try (WsClient dashboard = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant)))) {
            List<String> devices = IntStream.range(0, 500).mapToObj(FleetDashboardIT::device).toList();
            String list = devices.stream().map(d -> "\"" + d + "\"").collect(Collectors.joining(","));
            JsonNode confirmation = dashboard.send("{\"action\":\"subscribe\",\"type\":\"device\",\"device_ids\":["
                    + list + ",\"not a device\",42]}").awaitType("subscribed");
            assertThat(confirmation.path("channel").asText()).isEqualTo("device");
            assertThat(confirmation.path("device_ids")).hasSize(500);
            assertThat(confirmation.path("refused")).hasSize(2);
            assertThat(confirmation.path("refused").get(0).path("device_id").asText()).isEqualTo("not a device");
            assertThat(confirmation.path("refused").get(0).path("code").asText()).isEqualTo("invalid_device_id");
            Set<String> withTelemetry = new HashSet<>();
            while (withTelemetry.size() < devices.size()) {
                withTelemetry.add(dashboard.await(m -> "telemetry".equals(m.path("type").asText()),
                        Duration.ofSeconds(15)).path("device_id").asText());
            }
            assertThat(withTelemetry).containsExactlyInAnyOrderElementsOf(devices);

            JsonNode unsubscribed = dashboard.send("{\"action\":\"unsubscribe\",\"type\":\"device\",\"device_ids\":["
                    + list + "]}").awaitType("unsubscribed");
            assertThat(unsubscribed.path("device_ids")).hasSize(500);
            JsonNode info = dashboard.send(Frames.info()).awaitType("info");
            assertThat(info.path("data").path("devices")).isEmpty();
        }
    }

    @Test
    void aJunkFloodIsStillLimitedAndClosedWith1008() {
        try (WsClient junk = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant)))) {
            int rateLimited = junk.floodUntilClosed(100, i -> junk.send("{\"action\":\"nonsense\",\"n\":" + i + "}"));
            assertThat(junk.awaitClose().code()).isEqualTo(1008);
            assertThat(rateLimited).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void everyConnectionOpensWithAConnectedEvent() {
        try (WsClient client = WsClient.connect(pulse.ws("/ws", Tokens.valid(tenant)))) {
            JsonNode connected = client.connectedEvent();
            assertThat(connected.path("type").asText()).isEqualTo("event");
            JsonNode data = connected.path("data");
            JsonNode info = client.send(Frames.info()).awaitType("info");
            assertThat(data.path("connection_id").asText()).isEqualTo(info.path("data").path("connection_id").asText());
            assertThat(data.path("tenant").asText()).isEqualTo(tenant);
            assertThat(data.path("protocol_version").asText()).isEqualTo("1");
            assertThat(Instant.parse(data.path("server_time").asText())).isBefore(Instant.now().plusSeconds(5));
            assertThat(data.path("limits").path("devices_per_connection").asInt()).isEqualTo(1000);
            assertThat(data.path("limits").path("messages_per_minute").asInt()).isEqualTo(60);
            assertThat(data.path("limits").path("max_message_bytes").asInt()).isEqualTo(65536);
        }
    }

    @Test
    void presenceEventsReachOnlyMembersWhoAskedForThemAndNeverAnotherTenant() {
        String other = Tokens.newTenant();
        try (WsClient watching = WsClient.connect(pulse.ws("/ws/rooms/ops", Tokens.valid(tenant)));
                WsClient notAsking = WsClient.connect(pulse.ws("/ws/rooms/ops", Tokens.valid(tenant)));
                WsClient otherTenant = WsClient.connect(pulse.ws("/ws/rooms/ops", Tokens.valid(other)))) {
            for (WsClient client : List.of(watching, notAsking, otherTenant)) {
                client.awaitType("joined");
            }
            watching.send("{\"action\":\"subscribe\",\"data\":{\"event_types\":[\"member_joined\",\"member_left\"]}}")
                    .awaitType("subscribed");
            otherTenant.send("{\"action\":\"subscribe\",\"data\":{\"event_types\":[\"member_joined\","
                    + "\"member_left\"]}}").awaitType("subscribed");
            String newcomerId;
            try (WsClient newcomer = WsClient.connect(pulse.ws("/ws/rooms/ops", Tokens.valid(tenant)))) {
                newcomer.awaitType("joined");
                newcomerId = newcomer.connectedEvent().path("data").path("connection_id").asText();
                JsonNode joined = watching.await(m -> "member_joined".equals(m.path("event_type").asText()));
                assertThat(joined.path("data").path("connection_id").asText()).isEqualTo(newcomerId);
                assertThat(joined.path("room").asText()).isEqualTo("ops");
            }
            JsonNode left = watching.await(m -> "member_left".equals(m.path("event_type").asText()));
            assertThat(left.path("data").path("connection_id").asText()).isEqualTo(newcomerId);
            for (WsClient client : List.of(notAsking, otherTenant)) {
                assertThat(client.everythingBeforePong()).noneMatch(m -> m.path("event_type").asText()
                        .startsWith("member_"));
            }
        }
    }

    private static String device(int i) {
        return String.format("fleet-%04d", i);
    }
}
