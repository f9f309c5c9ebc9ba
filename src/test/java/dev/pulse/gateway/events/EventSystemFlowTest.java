package dev.pulse.gateway.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Clients written against the event-system design (rooms, event-type filters, ping, info on {@code /ws}) and the
 * per-item endpoint pattern ({@code /ws/rooms/{room}}, {@code {"type":...}} requests) work unchanged.
 */
@QuarkusTest
class EventSystemFlowTest {

    @Inject
    EventBroadcaster broadcaster;

    @Test
    void eventSystemClientJoinsFiltersPingsAsksInfoAndLeaves() {
        String tenant = Tokens.newTenant();
        URI uri = URI.create(Endpoints.ws(Tokens.valid(tenant)) + "&client_id=my_client");
        try (WsClient filtered = WsClient.connect(uri);
                WsClient everything = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)))) {
            JsonNode joined = filtered.send(Frames.join("agents")).next();
            assertThat(joined.path("type").asText()).isEqualTo("joined");
            assertThat(joined.path("success").asBoolean()).isTrue();
            assertThat(joined.path("room").asText()).isEqualTo("agents");
            assertThat(joined.path("data").path("room").asText()).isEqualTo("agents");
            assertThat(joined.path("message").asText()).isNotBlank();
            everything.send(Frames.join("agents")).awaitType("joined");

            JsonNode subscribed = filtered.send(
                    "{\"action\":\"subscribe\",\"data\":{\"event_types\":[\"agent_created\"]}}").next();
            assertThat(subscribed.path("type").asText()).isEqualTo("subscribed");
            assertThat(subscribed.path("channel").asText()).isEqualTo("events");
            assertThat(subscribed.path("success").asBoolean()).isTrue();
            assertThat(subscribed.path("data").path("event_types").toString()).isEqualTo("[\"agent_created\"]");

            // "Only agent_created events will arrive": the filtered client gets one, the unfiltered both.
            assertThat(Broadcasts.publish(tenant,
                    "{\"event_type\":\"agent_updated\",\"data\":{\"agent_id\":\"a1\"},\"room\":\"agents\"}"))
                    .isEqualTo(1);
            assertThat(Broadcasts.publish(tenant, "{\"event_type\":\"agent_created\","
                    + "\"data\":{\"agent_id\":\"a1\",\"agent_type\":\"neutrophil\"},\"room\":\"agents\"}"))
                    .isEqualTo(2);
            JsonNode event = filtered.awaitType("event");
            assertThat(event.path("event_type").asText()).isEqualTo("agent_created");
            assertThat(event.path("data").path("agent_type").asText()).isEqualTo("neutrophil");
            assertThat(event.path("room").asText()).isEqualTo("agents");
            assertThat(event.path("source").asText()).isEqualTo("api_server");
            assertThat(event.path("timestamp").asText()).endsWith("Z");
            assertThat(filtered.everythingBeforePong()).noneMatch(m -> "event".equals(m.path("type").asText()));
            assertThat(everything.await(m -> "agent_updated".equals(m.path("event_type").asText()))).isNotNull();
            assertThat(everything.await(m -> "agent_created".equals(m.path("event_type").asText()))).isNotNull();

            JsonNode pong = filtered.send(Frames.ping()).next();
            assertThat(pong.path("type").asText()).isEqualTo("pong");
            assertThat(pong.path("success").asBoolean()).isTrue();
            assertThat(pong.path("message").asText()).isEqualTo("pong");
            assertThat(pong.path("data").path("timestamp").asText()).isNotBlank();

            JsonNode info = filtered.send(Frames.info()).next();
            assertThat(info.path("type").asText()).isEqualTo("info");
            assertThat(info.path("success").asBoolean()).isTrue();
            JsonNode data = info.path("data");
            assertThat(data.path("connection_id").asText()).isEqualTo("my_client");
            assertThat(data.path("tenant").asText()).isEqualTo(tenant);
            assertThat(data.path("role").asText()).isEqualTo("customer_viewer");
            assertThat(data.path("subject").asText()).startsWith("user-");
            assertThat(data.path("connected_at").asText()).endsWith("Z");
            assertThat(data.path("rooms").toString()).isEqualTo("[\"agents\"]");
            assertThat(data.path("event_types").toString()).isEqualTo("[\"agent_created\"]");
            assertThat(data.path("devices").toString()).isEqualTo("[]");
            assertThat(data.path("alerts").asBoolean()).isFalse();
            assertThat(data.path("messages_received").asLong()).isEqualTo(5);
            assertThat(data.path("messages_sent").asLong()).isGreaterThanOrEqualTo(3);

            JsonNode left = filtered.send(Frames.leave("agents")).next();
            assertThat(left.path("type").asText()).isEqualTo("left");
            assertThat(left.path("success").asBoolean()).isTrue();
            assertThat(Broadcasts.publish(tenant, "{\"event_type\":\"agent_created\",\"room\":\"agents\"}"))
                    .isEqualTo(1);
            assertThat(filtered.everythingBeforePong()).noneMatch(m -> "event".equals(m.path("type").asText()));

            // Unsubscribing the last type empties the filter: every event type arrives again (here: tenant-wide).
            JsonNode unsubscribed = filtered.send(
                    "{\"action\":\"unsubscribe\",\"data\":{\"event_types\":[\"agent_created\"]}}").next();
            assertThat(unsubscribed.path("type").asText()).isEqualTo("unsubscribed");
            assertThat(unsubscribed.path("data").path("event_types").toString()).isEqualTo("[]");
            assertThat(Broadcasts.publish(tenant, "{\"event_type\":\"task_failed\",\"data\":{\"task_id\":\"t\"}}"))
                    .isEqualTo(2);
            assertThat(filtered.await(m -> "task_failed".equals(m.path("event_type").asText()))
                    .has("room")).isFalse();
        }
    }

    @Test
    void broadcastWithoutRoomReachesEveryConnectionOfTheTenant() {
        String tenant = Tokens.newTenant();
        try (WsClient inRoom = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)));
                WsClient noRoom = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
            inRoom.send(Frames.join("system")).awaitType("joined");
            noRoom.send(Frames.ping()).awaitType("pong");
            assertThat(Broadcasts.publish(tenant, "{\"event_type\":\"health_changed\",\"data\":{\"status\":\"ok\"}}"))
                    .isEqualTo(2);
            assertThat(inRoom.awaitType("event").path("data").path("status").asText()).isEqualTo("ok");
            assertThat(noRoom.awaitType("event").path("event_type").asText()).isEqualTo("health_changed");
        }
    }

    @Test
    void perItemClientOnARoomEndpoint() {
        String tenant = Tokens.newTenant();
        try (WsClient client = WsClient.connect(Endpoints.uri("/ws/rooms/execution-42", Tokens.valid(tenant)))) {
            JsonNode joined = client.next();
            assertThat(joined.path("type").asText()).isEqualTo("joined");
            assertThat(joined.path("room").asText()).isEqualTo("execution-42");

            assertThat(client.send("{\"type\":\"ping\"}").next().path("type").asText()).isEqualTo("pong");
            JsonNode subscribed = client.send("{\"type\":\"subscribe\",\"data\":{\"event_types\":[\"task_completed\"]}}")
                    .next();
            assertThat(subscribed.path("type").asText()).isEqualTo("subscribed");

            Broadcasts.publish(tenant, "{\"event_type\":\"task_started\",\"room\":\"execution-42\"}");
            Broadcasts.publish(tenant, "{\"event_type\":\"task_completed\",\"data\":{\"task_id\":\"t-9\"},"
                    + "\"room\":\"execution-42\",\"source\":\"scheduler\"}");
            JsonNode event = client.awaitType("event");
            assertThat(event.path("event_type").asText()).isEqualTo("task_completed");
            assertThat(event.path("data").path("task_id").asText()).isEqualTo("t-9");
            assertThat(event.path("source").asText()).isEqualTo("scheduler");
            assertThat(event.path("timestamp").asText()).isNotBlank();
        }
    }

    @Test
    void inProcessPublishersUseTheTypedHelpers() {
        String tenant = Tokens.newTenant();
        try (WsClient agents = WsClient.connect(Endpoints.uri("/ws/rooms/agents", Tokens.valid(tenant)));
                WsClient tasks = WsClient.connect(Endpoints.uri("/ws/rooms/tasks", Tokens.valid(tenant)))) {
            agents.awaitType("joined");
            tasks.awaitType("joined");
            assertThat(broadcaster.agentStatusChanged(tenant, "a-1", "idle", "active")).isEqualTo(1);
            assertThat(broadcaster.taskStatusChanged(tenant, "t-1", "running", "failed")).isEqualTo(1);
            assertThat(broadcaster.leaderElected(tenant, "a-1", 7)).isZero();

            JsonNode status = agents.awaitType("event");
            assertThat(status.path("event_type").asText()).isEqualTo("agent_status_changed");
            assertThat(status.path("data").toString())
                    .isEqualTo("{\"agent_id\":\"a-1\",\"old_status\":\"idle\",\"new_status\":\"active\"}");
            assertThat(status.path("source").asText()).isEqualTo("pulse");
            assertThat(tasks.awaitType("event").path("event_type").asText()).isEqualTo("task_failed");
            assertThat(broadcaster.customEvent(tenant, "deploy.finished", Map.of("version", "1.2"), "tasks", "ci"))
                    .isEqualTo(1);
            assertThat(tasks.awaitType("event").path("event_type").asText()).isEqualTo("deploy.finished");
        }
    }
}
