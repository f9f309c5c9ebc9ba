package dev.pulse.gateway.events;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.time.Duration;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

/** /ws/stats and /q/metrics checked against a known sequence of connects, messages, broadcasts and disconnects. */
@QuarkusTest
class StatsAndMetricsTest extends QuietRegistryTest {

    @Test
    void statsAndMetricsFollowAKnownSequence() {
        String tenant = Tokens.newTenant();
        Scrape before = Scrape.now();
        try (WsClient first = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)));
                WsClient second = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)))) {
            try (WsClient third = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
                first.send(Frames.join("x")).awaitType("joined");
                second.send(Frames.join("x")).awaitType("joined");
                second.send(Frames.join("y")).awaitType("joined");
                third.send(Frames.ping()).awaitType("pong");
                third.send("{not json").awaitType("error");
            }
            // 3 connections, 1 gone; frames received: 1 + 2 + 2; sent: 3 connected events, 3 joined, pong, error.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                JsonPath stats = tenantStats(Tokens.claims(tenant, "customer_admin").sign());
                assertThat(stats.getInt("active_connections")).isEqualTo(2);
                assertThat(stats.getLong("total_connections")).isEqualTo(3);
                assertThat(stats.getLong("total_disconnections")).isEqualTo(1);
                assertThat(stats.getInt("total_rooms")).isEqualTo(2);
                assertThat(stats.getMap("rooms")).containsEntry("x", 2).containsEntry("y", 1).hasSize(2);
                assertThat(stats.getLong("messages_received")).isEqualTo(5);
                assertThat(stats.getLong("messages_sent")).isEqualTo(8);
                assertThat(stats.getString("tenant")).isEqualTo(tenant);
            });

            assertThat(Broadcasts.publish(tenant, "{\"event_type\":\"agent_created\",\"room\":\"x\"}")).isEqualTo(2);
            Broadcasts.post(Broadcasts.serviceToken(tenant), "{\"event_type\":\"BAD\"}").statusCode(400);
            first.awaitType("event");
            second.awaitType("event");

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Scrape after = Scrape.now();
                assertThat(delta(before, after, "pulse_connections_opened_total", "endpoint=\"ws\"")).isEqualTo(2);
                assertThat(delta(before, after, "pulse_connections_opened_total", "endpoint=\"api_v2\"")).isEqualTo(1);
                assertThat(delta(before, after, "pulse_connections_closed_total", "code=\"1000\"")).isEqualTo(1);
                assertThat(after.value("pulse_connections_active", "endpoint=\"ws\"")).isEqualTo(2);
                assertThat(after.value("pulse_connections_active", "endpoint=\"api_v2\"")).isZero();
                assertThat(after.value("pulse_rooms_active")).isEqualTo(2);
                assertThat(after.value("pulse_subscriptions_active", "kind=\"rooms\"")).isEqualTo(3);
                assertThat(delta(before, after, "pulse_messages_received_total", "type=\"join\"")).isEqualTo(3);
                assertThat(delta(before, after, "pulse_messages_received_total", "type=\"ping\"")).isEqualTo(1);
                assertThat(delta(before, after, "pulse_messages_received_total", "type=\"invalid\"")).isEqualTo(1);
                assertThat(delta(before, after, "pulse_messages_sent_total", "type=\"reply\"")).isEqualTo(4);
                assertThat(delta(before, after, "pulse_messages_sent_total", "type=\"error\"")).isEqualTo(1);
                // The broadcast to two members, and the connected event each of the three connections opened with.
                assertThat(delta(before, after, "pulse_messages_sent_total", "type=\"event\"")).isEqualTo(5);
                assertThat(delta(before, after, "pulse_sent_bytes_total")).isGreaterThan(200);
                assertThat(delta(before, after, "pulse_broadcast_requests_total", "outcome=\"accepted\"")).isEqualTo(1);
                assertThat(delta(before, after, "pulse_broadcast_requests_total", "outcome=\"invalid\"")).isEqualTo(1);
                assertThat(delta(before, after, "pulse_broadcast_recipients_sum")).isEqualTo(2);
                // The built-in meters of websockets-next and the scheduler are on too.
                assertThat(after.has("quarkus_websockets_server")).isTrue();
                assertThat(after.has("scheduled_methods")).isTrue();
                assertThat(after.has("pulse_poll_last_success_age_seconds{source=\"influxdb\"}")).isTrue();
            });
        }
    }

    @Test
    void statsNeedAnAdminRoleAndPlatformAdminsSeeEveryTenant() {
        String tenant = Tokens.newTenant();
        String other = Tokens.newTenant();
        try (WsClient a = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)));
                WsClient b = WsClient.connect(Endpoints.ws(Tokens.valid(other)))) {
            a.send(Frames.join("only-a")).awaitType("joined");
            b.send(Frames.join("only-b")).awaitType("joined");

            given().get("/ws/stats").then().statusCode(401).body("error", equalTo("unauthorized"));
            given().header("Authorization", "Bearer " + Tokens.valid(tenant)).get("/ws/stats").then().statusCode(403);
            given().header("Authorization", "Bearer " + Tokens.base().claim("role", "customer_admin").sign())
                    .get("/ws/stats").then().statusCode(403);

            // A tenant admin sees its own tenant only.
            JsonPath own = tenantStats(Tokens.claims(tenant, "customer_admin").sign());
            assertThat(own.getMap("rooms")).containsOnlyKeys("only-a");
            assertThat(own.getInt("active_connections")).isEqualTo(1);

            // The platform admin (no tenant needed) sees every tenant.
            JsonPath all = tenantStats(Tokens.base().claim("role", "platform_admin").sign());
            assertThat(all.getMap("rooms")).containsEntry(tenant + "/only-a", 1).containsEntry(other + "/only-b", 1);
            assertThat(all.getInt("active_connections")).isGreaterThanOrEqualTo(2);
            assertThat(all.getInt("tenants.'" + other + "'.active_connections")).isEqualTo(1);
        }
    }

    private static JsonPath tenantStats(String token) {
        return given().header("Authorization", "Bearer " + token).get("/ws/stats").then().statusCode(200)
                .extract().jsonPath();
    }

    private static double delta(Scrape before, Scrape after, String name, String... labels) {
        return after.value(name, labels) - before.value(name, labels);
    }
}
