package dev.pulse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A tenant sees only its own telemetry and alerts, whatever it sends and whatever its token's tenant id contains.
 * Hostile input goes to the real InfluxDB and PostgreSQL.
 */
@QuarkusTest
class TenantIsolationTest {

    private static final List<String> HOSTILE_DEVICE_IDS = List.of(
            "dev-1' OR tenant_id='victim",
            "dev-1\\' OR 1=1 --",
            "dev-1\" OR \"tenant_id\" = 'victim'",
            "/.*/",
            "dev.*",
            "dev-1'; DROP MEASUREMENT telemetry; --",
            "dev-1\nOR tenant_id='victim'",
            "dev-1\\",
            "dev-1' GROUP BY *; SELECT * FROM telemetry WHERE '1'='1");

    @Test
    void telemetryNeverCrossesTenantsEvenWithHostileDeviceIds() {
        String victim = Tokens.newTenant();
        String attacker = Tokens.newTenant();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(victim) + ",device_id=dev-1 secret=111 "
                + Stack.nanos(now) + "\ntelemetry,tenant_id=" + Stack.tag(attacker) + ",device_id=dev-1 mine=1 "
                + Stack.nanos(now));

        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(attacker)))) {
            for (String id : HOSTILE_DEVICE_IDS) {
                String frame = "{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":"
                        + com.fasterxml.jackson.databind.node.TextNode.valueOf(id) + "}";
                JsonNode answer = client.send(frame).next();
                assertThat(answer.path("type").asText()).as(id).isIn("error", "subscribed");
                if ("subscribed".equals(answer.path("type").asText())) {
                    // Allowed characters (e.g. "dev.*") are compared literally, never as a pattern.
                    client.send("{\"action\":\"unsubscribe\",\"type\":\"device\",\"device_id\":"
                            + com.fasterxml.jackson.databind.node.TextNode.valueOf(id) + "}").awaitType("unsubscribed");
                }
            }
            // The attacker's own device with the victim's device name: only the attacker's point arrives.
            client.send(Frames.subscribeDevice("dev-1"));
            JsonNode telemetry = client.awaitType("telemetry");
            assertThat(telemetry.path("data").path("metrics").toString()).isEqualTo("{\"mine\":1}");
            assertThat(client.everythingBeforePong().toString()).doesNotContain("secret");
        }
        // No damage: the victim's data is still there.
        assertThat(Stack.queryInflux("SELECT count(secret) FROM telemetry WHERE tenant_id = '" + victim + "'"))
                .contains("\"values\":[[");
    }

    @Test
    void hostileTenantIdInATokenStaysInsideItsOwnLiteral() {
        String victim = Tokens.newTenant();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(victim) + ",device_id=dev-1 secret=222 "
                + Stack.nanos(now));
        Stack.insertAlert(victim, "dev-1", "HIGH_TEMP", "OPEN", "victim alert");
        List<String> hostileTenants = List.of(
                "x' OR tenant_id='" + victim,
                "x' OR '1'='1",
                "x\\' OR tenant_id=~/.*/ OR '",
                "' OR 1=1) OR (tenant_id != '");

        for (String tenant : hostileTenants) {
            try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
                client.send(Frames.subscribeDevice("dev-1"))
                        .awaitType("subscribed");
                client.send(Frames.subscribeAlerts()).awaitType("subscribed");
                JsonNode alerts = client.awaitType("alerts");
                assertThat(alerts.path("alerts")).as(tenant).isEmpty();
                assertThat(client.everythingBeforePong()).as(tenant).noneMatch(m -> "telemetry".equals(m.path("type").asText()));
            }
        }
        assertThat(Stack.queryInflux("SELECT count(secret) FROM telemetry WHERE tenant_id = '" + victim + "'"))
                .contains("\"values\":[[");
    }

    @Test
    void alertsNeverCrossTenants() {
        String tenantA = Tokens.newTenant();
        String tenantB = Tokens.newTenant();
        Stack.insertAlert(tenantA, "dev-1", "HIGH_TEMP", "OPEN", "A's alert");
        Stack.insertAlert(tenantB, "dev-1", "HIGH_TEMP", "OPEN", "B's alert");
        Stack.insertAlert(tenantA, "dev-2", "HIGH_TEMP", "CLOSED", "A's closed alert");

        try (WsClient a = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenantA)));
                WsClient b = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenantB)))) {
            a.send(Frames.subscribeAlerts());
            b.send(Frames.subscribeAlerts());
            assertThat(summaries(a.awaitType("alerts"))).containsExactly("A's alert");
            assertThat(summaries(b.awaitType("alerts"))).containsExactly("B's alert");

            // A change in B reaches B only.
            Stack.insertAlert(tenantB, "dev-3", "LOW_BATTERY", "OPEN", "B's second alert");
            assertThat(summaries(b.await(m -> m.path("alerts").size() == 2)))
                    .containsExactly("B's second alert", "B's alert");
            assertThat(a.everythingBeforePong().toString()).doesNotContain("B's");
        }
    }

    @Test
    void rowLevelSecurityHidesOtherTenantsFromTheGatewayRole() {
        String tenantA = Tokens.newTenant();
        String tenantB = Tokens.newTenant();
        Stack.insertAlert(tenantA, "dev-1", "T", "OPEN", "a");
        Stack.insertAlert(tenantB, "dev-1", "T", "OPEN", "b");

        // Without the tenant setting, the gateway's role sees no row at all.
        assertThat(Stack.asGateway(null, "SELECT count(*) FROM alerts")).containsExactly("0");
        // With tenant A named, even an explicit filter on B finds nothing.
        assertThat(Stack.asGateway(tenantA, "SELECT DISTINCT tenant_id FROM alerts")).containsExactly(tenantA);
        assertThat(Stack.asGateway(tenantA, "SELECT count(*) FROM alerts WHERE tenant_id = '" + tenantB + "'"))
                .containsExactly("0");
        // And it cannot write.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Stack.asGateway(tenantA,
                "UPDATE alerts SET status = 'CLOSED' RETURNING id")).hasMessageContaining("permission denied");
    }

    private static List<String> summaries(JsonNode alerts) {
        List<String> result = new java.util.ArrayList<>();
        alerts.path("alerts").forEach(alert -> result.add(alert.path("summary").asText()));
        return result;
    }
}
