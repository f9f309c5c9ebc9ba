package dev.pulse.gateway.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.registry.RegistryStatistics;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.RawWsClient;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/** Bad frames get a clear error with a machine code, and the connection keeps working afterwards. */
@QuarkusTest
class ProtocolErrorsTest extends QuietRegistryTest {

    @Inject
    RegistryStatistics statistics;

    @Test
    void everyMalformedFrameGetsItsErrorAndTheConnectionSurvives() {
        Map<String, String> frames = new java.util.LinkedHashMap<>();
        frames.put("{not json", "malformed_json");
        frames.put("", "malformed_json");
        frames.put("[1,2,3]", "invalid_message");
        frames.put("\"subscribe\"", "invalid_message");
        frames.put("42", "invalid_message");
        frames.put("{}", "missing_action");
        frames.put("{\"action\":7}", "missing_action");
        frames.put("{\"type\":\"action\",\"data\":{\"card_id\":\"c1\"}}", "client_actions_disabled");
        frames.put("{\"action\":\"action\",\"data\":{}}", "client_actions_disabled");
        frames.put("{\"action\":\"dance\"}", "unknown_action");
        frames.put("{\"action\":\"subscribe\"}", "unknown_type");
        frames.put("{\"action\":\"subscribe\",\"type\":\"weather\"}", "unknown_type");
        frames.put("{\"action\":\"unsubscribe\",\"type\":null}", "unknown_type");
        frames.put("{\"action\":\"subscribe\",\"type\":\"device\"}", "invalid_device_id");
        frames.put("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"\"}", "invalid_device_id");
        frames.put("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":12}", "invalid_device_id");
        frames.put("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"" + "d".repeat(129) + "\"}",
                "invalid_device_id");
        frames.put("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"a b\"}", "invalid_device_id");
        frames.put("{\"action\":\"unsubscribe\",\"type\":\"device\",\"device_id\":\"x'y\"}", "invalid_device_id");

        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(Tokens.newTenant())))) {
            for (Map.Entry<String, String> frame : frames.entrySet()) {
                JsonNode error = client.send(frame.getKey()).next();
                assertThat(error.path("type").asText()).as(frame.getKey()).isEqualTo("error");
                assertThat(error.path("code").asText()).as(frame.getKey()).isEqualTo(frame.getValue());
                assertThat(error.path("message").asText()).as(frame.getKey()).isNotBlank();
            }
            client.sendBinary(new byte[] { 1, 2, 3 });
            assertThat(client.next().path("code").asText()).isEqualTo("binary_not_supported");

            // Still serving: a ping and a subscription work after all of that.
            assertThat(client.send(Frames.ping()).next().path("type").asText()).isEqualTo("pong");
            assertThat(client.send(Frames.subscribeDevice("dev-9")).next()
                    .path("type").asText()).isEqualTo("subscribed");
            assertThat(client.isClosedByServer()).isFalse();
            assertThat(statistics.deviceSubscriptionCount()).isEqualTo(1);
        }
    }

    @Test
    void unknownFieldsAreIgnoredAndRepeatedSubscribesAreIdempotent() {
        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(Tokens.newTenant())))) {
            String subscribe = "{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"dev-1\",\"extra\":{\"a\":1}}";
            client.send(subscribe).awaitType("subscribed");
            client.send(subscribe).awaitType("subscribed");
            client.send("{\"action\":\"subscribe\",\"type\":\"alerts\",\"room\":\"ignored\"}").awaitType("subscribed");
            client.send(Frames.subscribeAlerts()).awaitType("subscribed");
            assertThat(statistics.deviceSubscriptionCount()).isEqualTo(1);
            assertThat(statistics.alertSubscriptionCount()).isEqualTo(1);

            client.send(Frames.unsubscribeDevice("dev-1"))
                    .awaitType("unsubscribed");
            client.send(Frames.unsubscribeDevice("dev-1"))
                    .awaitType("unsubscribed");
            assertThat(statistics.deviceSubscriptionCount()).isZero();
        }
    }

    @Test
    void framesSentTheMomentTheSocketOpensAreAllAnsweredInOrder() {
        for (int round = 0; round < 10; round++) {
            try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(Tokens.newTenant())))) {
                for (int i = 0; i < 10; i++) {
                    client.send("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"d" + i + "\"}");
                }
                for (int i = 0; i < 10; i++) {
                    JsonNode reply = client.awaitType("subscribed");
                    assertThat(reply.path("device_id").asText()).isEqualTo("d" + i);
                }
            }
        }
    }

    @Test
    void wsEndpointUsesAValidFreeClientIdAsConnectionId() {
        String tenant = Tokens.newTenant();
        String clientId = "dashboard-" + System.nanoTime();
        java.net.URI uri = java.net.URI.create(Endpoints.ws(Tokens.valid(tenant)) + "&client_id=" + clientId);
        try (WsClient first = WsClient.connect(uri); WsClient second = WsClient.connect(uri)) {
            first.send(Frames.ping()).next();
            second.send(Frames.ping()).next();
            assertThat(registry.connectionCount()).isEqualTo(2);
            assertThat(registry.hasSession(clientId)).isTrue();
        }
    }

    @Test
    void framesThatBreakTheWebSocketProtocolGetACloseFrameWithTheirCodeAndReason() {
        byte[] cafe = "{\"action\":\"join\",\"room\":\"caf\u00e9\"}".getBytes(StandardCharsets.UTF_8);
        byte[] invalidTail = Arrays.copyOfRange(cafe, cafe.length - 3, cafe.length);
        invalidTail[0] = (byte) 0xff;
        Map<String, Consumer<RawWsClient>> violations = new LinkedHashMap<>();
        violations.put("reserved opcode", client -> client.sendFrame(3, new byte[] { 1 }));
        violations.put("continuation", client -> client.sendFrameRaw(true, 0, new byte[] { 1 }));
        violations.put("control frame", client -> client.sendFrame(9, new byte[126]));
        violations.put("not UTF-8", client -> client.sendFrame(1, new byte[] { '{', (byte) 0xc3, '}' }));
        violations.put("not UTF-8 across fragments", client -> {
            client.sendFrameRaw(false, 1, Arrays.copyOfRange(cafe, 0, cafe.length - 3));
            client.sendFrameRaw(true, 0, invalidTail);
        });
        Map<String, Integer> codes = Map.of("reserved opcode", 1002, "continuation", 1002, "control frame", 1002,
                "not UTF-8", 1007, "not UTF-8 across fragments", 1007);

        violations.forEach((name, violation) -> {
            try (RawWsClient client = RawWsClient.open("/ws?token=" + Tokens.valid(Tokens.newTenant()))) {
                client.sendText(Frames.ping());
                assertThat(client.readFrame(Duration.ofSeconds(10)).text()).contains("pong");
                violation.accept(client);
                RawWsClient.Frame close = client.readFrame(Duration.ofSeconds(10));
                assertThat(close).as(name).isNotNull();
                assertThat(close.code()).as(name).isEqualTo(codes.get(name));
                // The reason says what was wrong.
                assertThat(close.text().substring(2)).as(name).isNotBlank();
                if (codes.get(name) == 1007) {
                    assertThat(close.text()).as(name).contains("not UTF-8");
                }
            }
        });
        Awaitility.await().until(() -> registry.connectionCount() == 0);
    }
}
