package dev.pulse.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Management;
import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The flows every build of Pulse must serve, written against its public surface only (WebSocket, HTTP, the real
 * servers) so that {@link CoreFlowsIT} runs them unchanged against the packaged jar and the native executable.
 */
@QuarkusTest
class CoreFlowsTest {

    @Test
    void badTokensAreClosedWithTheirCodes() {
        String tenant = Tokens.newTenant();
        try (WsClient missing = WsClient.connect(Endpoints.apiV2(null))) {
            assertThat(missing.awaitClose()).isEqualTo(new WsClient.Close(4001, "Missing token parameter"));
        }
        String expired = Tokens.sign(Tokens.claims(tenant, "customer_viewer")
                .expiresAt(Instant.now().minusSeconds(600)));
        try (WsClient invalid = WsClient.connect(Endpoints.apiV2(expired))) {
            assertThat(invalid.awaitClose()).isEqualTo(new WsClient.Close(4001, "Invalid or expired token"));
        }
        try (WsClient unauthorized = WsClient.connect(Endpoints.apiV2(
                Tokens.sign(Tokens.base().claim("role", "customer_admin"))))) {
            assertThat(unauthorized.awaitClose()).isEqualTo(new WsClient.Close(4003, "Unauthorized"));
        }
    }

    @Test
    void telemetryFromInfluxDbReachesItsSubscriber() {
        String tenant = Tokens.newTenant();
        Instant time = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=dev-1 temperature=21.5,battery=87i,"
                + "online=true,status=\"ok\" " + Stack.nanos(time));
        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
            client.send(Frames.subscribeDevice("dev-1")).awaitType("subscribed");
            JsonNode telemetry = client.awaitType("telemetry");
            assertThat(telemetry.path("device_id").asText()).isEqualTo("dev-1");
            assertThat(telemetry.path("data").path("timestamp").asText()).isEqualTo(time.toString());
            JsonNode metrics = telemetry.path("data").path("metrics");
            assertThat(metrics.path("temperature").asDouble()).isEqualTo(21.5);
            assertThat(metrics.path("battery").asInt()).isEqualTo(87);
            assertThat(metrics.path("online").asBoolean()).isTrue();
            assertThat(metrics.path("status").asText()).isEqualTo("ok");

            // A newer point is pushed by the poller.
            Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=dev-1 temperature=22.5 "
                    + Stack.nanos(time.plusSeconds(1)));
            assertThat(client.awaitType("telemetry").path("data").path("metrics").path("temperature").asDouble())
                    .isEqualTo(22.5);
        }
    }

    @Test
    void alertsFromPostgreSqlReachTheirSubscriber() {
        String tenant = Tokens.newTenant();
        long first = Stack.insertAlert(tenant, "dev-1", "HIGH_TEMP", "OPEN", "Too hot");
        Stack.insertAlert(Tokens.newTenant(), "dev-1", "HIGH_TEMP", "OPEN", "another tenant's");
        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
            client.send(Frames.subscribeAlerts()).awaitType("subscribed");
            assertThat(ids(client.awaitType("alerts"))).containsExactly(first);

            long second = Stack.insertAlert(tenant, "dev-2", "LOW_BATTERY", "OPEN", "Battery low");
            JsonNode pushed = client.awaitType("alerts");
            assertThat(ids(pushed)).containsExactly(second, first);
            assertThat(pushed.path("alerts").get(1).path("details").path("threshold").asInt()).isEqualTo(30);
        }
    }

    @Test
    void aBroadcastReachesTheRoomOfItsTenant() {
        String tenant = Tokens.newTenant();
        try (WsClient member = WsClient.connect(Endpoints.uri("/ws/rooms/agents", Tokens.valid(tenant)));
                WsClient otherTenant = WsClient.connect(Endpoints.uri("/ws/rooms/agents",
                        Tokens.valid(Tokens.newTenant())))) {
            member.awaitType("joined");
            otherTenant.awaitType("joined");
            int recipients = Broadcasts.publish(tenant,
                    "{\"event_type\":\"agent_created\",\"room\":\"agents\",\"data\":{\"agent_id\":\"a-1\"}}");
            assertThat(recipients).isEqualTo(1);
            JsonNode event = member.awaitType("event");
            assertThat(event.path("event_type").asText()).isEqualTo("agent_created");
            assertThat(event.path("data").path("agent_id").asText()).isEqualTo("a-1");
            assertThat(otherTenant.everythingBeforePong()).noneMatch(m -> "event".equals(m.path("type").asText()));
        }
    }

    @Test
    void healthAndMetricsEndpointsAnswer() {
        Management.get("/q/health/live").then().statusCode(200);
        Management.get("/q/health/started").then().statusCode(200);
        List<Map<String, Object>> checks = Management.get("/q/health/ready").then().statusCode(200).extract().jsonPath()
                .getList("checks");
        // Readiness: can this replica serve? The shared databases are in their own group.
        assertThat(checks).extracting(check -> check.get("name")).contains("pollers", "event-loops")
                .doesNotContain("influxdb", "postgresql", "cluster");
        List<Map<String, Object>> sources = Management.get("/q/health/group/sources").then().statusCode(200).extract()
                .jsonPath().getList("checks");
        assertThat(sources).extracting(check -> check.get("name")).contains("influxdb", "postgresql", "cluster");
        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(Tokens.newTenant())))) {
            client.send(Frames.ping()).awaitType("pong");
            Management.get("/q/metrics").then().statusCode(200).body(containsString("pulse_connections_active"))
                    .body(containsString("pulse_messages_received_total"));
        }
        // Operator surfaces are on the management interface only, never on the port clients reach.
        for (String path : List.of("/q/metrics", "/q/health", "/q/health/ready", "/q/health/live")) {
            io.restassured.RestAssured.get(path).then().statusCode(404);
        }
    }

    private static List<Long> ids(JsonNode alerts) {
        return alerts.path("alerts").findValues("id").stream().map(JsonNode::asLong).toList();
    }
}
