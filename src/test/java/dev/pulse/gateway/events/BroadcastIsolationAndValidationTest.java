package dev.pulse.gateway.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.emptyString;

import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/** Rooms and broadcasts stay inside their tenant; every invalid request gets a clear error. */
@QuarkusTest
class BroadcastIsolationAndValidationTest {

    @Test
    void roomsOfTheSameNameInTwoTenantsNeverShareAnEvent() {
        String tenantA = Tokens.newTenant();
        String tenantB = Tokens.newTenant();
        try (WsClient a = WsClient.connect(Endpoints.ws(Tokens.valid(tenantA)));
                WsClient b = WsClient.connect(Endpoints.ws(Tokens.valid(tenantB)));
                WsClient bOnRoomEndpoint = WsClient.connect(Endpoints.uri("/ws/rooms/agents", Tokens.valid(tenantB)))) {
            a.send(Frames.join("agents")).awaitType("joined");
            b.send(Frames.join("agents")).awaitType("joined");
            bOnRoomEndpoint.awaitType("joined");

            // To A's room, to all of A, and with a body that names B: only A's connection receives anything.
            assertThat(Broadcasts.publish(tenantA, "{\"event_type\":\"agent_created\",\"room\":\"agents\"}")).isEqualTo(1);
            assertThat(Broadcasts.publish(tenantA, "{\"event_type\":\"agent_deleted\"}")).isEqualTo(1);
            assertThat(Broadcasts.publish(tenantA, "{\"event_type\":\"agent_updated\",\"room\":\"agents\","
                    + "\"tenant_id\":\"" + tenantB + "\",\"data\":{\"tenant_id\":\"" + tenantB + "\"}}")).isEqualTo(1);
            a.await(m -> "agent_updated".equals(m.path("event_type").asText()));
            for (WsClient other : new WsClient[] { b, bOnRoomEndpoint }) {
                assertThat(other.everythingBeforePong()).noneMatch(m -> "event".equals(m.path("type").asText()));
            }
            // A tenant with nobody connected: zero recipients, still accepted.
            assertThat(Broadcasts.publish(Tokens.newTenant(), "{\"event_type\":\"agent_created\"}")).isZero();
        }
    }

    @Test
    void broadcastCredentialsAreChecked() {
        String tenant = Tokens.newTenant();
        String body = "{\"event_type\":\"agent_created\"}";
        Broadcasts.post(null, body).statusCode(401).header("WWW-Authenticate", "Bearer")
                .body("success", equalTo(false)).body("error", equalTo("unauthorized"));
        Broadcasts.post("not-a-jwt", body).statusCode(401).body("error", equalTo("unauthorized"));
        Broadcasts.post(Tokens.claims(tenant, "service").expiresAt(java.time.Instant.now().minusSeconds(300)).sign(),
                body).statusCode(401);
        // A dashboard user may not publish; a service token needs a tenant.
        Broadcasts.post(Tokens.valid(tenant), body).statusCode(403).body("error", equalTo("forbidden"));
        Broadcasts.post(Tokens.base().claim("role", "service").sign(), body).statusCode(403);
    }

    @Test
    void invalidBroadcastsGet400WithTheirCode() {
        String token = Broadcasts.serviceToken(Tokens.newTenant());
        Map<String, String> invalid = new java.util.LinkedHashMap<>();
        invalid.put("", "empty_body");
        invalid.put("{not json", "malformed_json");
        invalid.put("[1]", "invalid_body");
        invalid.put("{\"data\":{}}", "invalid_event_type");
        invalid.put("{\"event_type\":\"Agent Created\"}", "invalid_event_type");
        invalid.put("{\"event_type\":7}", "invalid_event_type");
        invalid.put("{\"event_type\":\"agent_created\",\"data\":[1,2]}", "invalid_data");
        invalid.put("{\"event_type\":\"agent_created\",\"data\":\"text\"}", "invalid_data");
        invalid.put("{\"event_type\":\"agent_created\",\"room\":\"../etc\"}", "invalid_room");
        invalid.put("{\"event_type\":\"agent_created\",\"room\":5}", "invalid_room");
        invalid.put("{\"event_type\":\"agent_created\",\"source\":\"\"}", "invalid_source");
        invalid.forEach((body, code) -> Broadcasts.post(token, body).statusCode(400)
                .body("success", equalTo(false)).body("error", equalTo(code)).body("message", not(emptyString())));
        // Too large: refused from its declared length, before the body is read.
        Broadcasts.post(token, "{\"event_type\":\"agent_created\",\"data\":{\"blob\":\"" + "x".repeat(70_000)
                + "\"}}").statusCode(413).body("error", equalTo("payload_too_large"));
        // Just under the limit is accepted.
        Broadcasts.post(token, "{\"event_type\":\"agent_created\",\"data\":{\"blob\":\"" + "x".repeat(65_000)
                + "\"}}").statusCode(202);
    }

    @Test
    void invalidRoomAndEventTypeRequestsOverTheSocketGetErrors() {
        Map<String, String> frames = new java.util.LinkedHashMap<>();
        frames.put("{\"action\":\"join\"}", "invalid_room");
        frames.put("{\"action\":\"join\",\"room\":\"\"}", "invalid_room");
        frames.put("{\"action\":\"join\",\"room\":\"a/b\"}", "invalid_room");
        frames.put("{\"action\":\"join\",\"room\":\"" + "r".repeat(65) + "\"}", "invalid_room");
        frames.put("{\"action\":\"leave\",\"room\":{}}", "invalid_room");
        frames.put("{\"action\":\"subscribe\",\"data\":{}}", "invalid_event_types");
        frames.put("{\"action\":\"subscribe\",\"data\":{\"event_types\":[]}}", "invalid_event_types");
        frames.put("{\"action\":\"subscribe\",\"data\":{\"event_types\":\"agent_created\"}}", "invalid_event_types");
        frames.put("{\"action\":\"subscribe\",\"data\":{\"event_types\":[\"UPPER\"]}}", "invalid_event_types");
        frames.put("{\"action\":\"subscribe\",\"data\":{\"event_types\":[1]}}", "invalid_event_types");
        StringBuilder many = new StringBuilder("{\"action\":\"subscribe\",\"data\":{\"event_types\":[");
        for (int i = 0; i <= 100; i++) {
            many.append(i == 0 ? "" : ",").append("\"t").append(i).append('"');
        }
        frames.put(many.append("]}}").toString(), "invalid_event_types");
        frames.put("{\"type\":\"subscribe\"}", "unknown_type");

        try (WsClient client = WsClient.connect(Endpoints.ws(Tokens.valid(Tokens.newTenant())))) {
            frames.forEach((frame, code) -> {
                JsonNode error = client.send(frame).next();
                assertThat(error.path("type").asText()).as(frame).isEqualTo("error");
                assertThat(error.path("code").asText()).as(frame).isEqualTo(code);
            });
            assertThat(client.send(Frames.join("ok")).next().path("type").asText())
                    .isEqualTo("joined");
        }
        // An invalid room in the path gets an error; the connection stays usable.
        try (WsClient client = WsClient.connect(Endpoints.uri("/ws/rooms/bad%20room", Tokens.valid(Tokens.newTenant())))) {
            assertThat(client.next().path("code").asText()).isEqualTo("invalid_room");
            assertThat(client.send(Frames.ping()).next().path("type").asText()).isEqualTo("pong");
        }
    }
}
