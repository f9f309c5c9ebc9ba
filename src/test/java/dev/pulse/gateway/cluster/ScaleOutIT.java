package dev.pulse.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * Two replicas of the packaged application on two ports, against the same PostgreSQL and InfluxDB, a client on each.
 * A broadcast accepted by either reaches both clients exactly once (also one over the NOTIFY payload limit); an alert INSERT reaches the alert subscribers of
 * both at once although the alert poll runs every ten minutes (so only the NOTIFY path can have carried it); and after
 * PostgreSQL restarts mid-test, both replicas recover by themselves and deliver again. While PostgreSQL is down,
 * the sources health group says so while readiness stays UP, and a broadcast is refused with 503 and counted as not
 * relayed.
 */
class ScaleOutIT {

    /** Far longer than the test: an alert that arrives came through LISTEN/NOTIFY. */
    private static final Map<String, String> NO_ALERT_POLLING = Map.of("PULSE_ALERTS_POLL_INTERVAL", "10m");
    /** Instant means within a PostgreSQL round trip or two; this leaves room for a loaded 2-core machine. */
    private static final Duration INSTANT = Duration.ofSeconds(2);

    @AfterEach
    void postgresBack() {
        LocalStack.stack("start-postgres");
    }

    @Test
    void eventsAndAlertChangesReachEveryReplicaAndRecoverFromAPostgresRestart() {
        try (PackagedPulse a = PackagedPulse.startPackaged("scale-out-a", NO_ALERT_POLLING);
                PackagedPulse b = PackagedPulse.startPackaged("scale-out-b", NO_ALERT_POLLING)) {
            String tenant = Tokens.newTenant();
            String publisher = Tokens.sign(Tokens.claims(tenant, "service"));
            try (WsClient onA = WsClient.connect(a.ws("/ws/rooms/ops", Tokens.valid(tenant)));
                    WsClient onB = WsClient.connect(b.ws("/ws/rooms/ops", Tokens.valid(tenant)))) {
                for (WsClient client : List.of(onA, onB)) {
                    client.awaitType("joined");
                    client.send(Frames.subscribeAlerts()).awaitType("subscribed");
                    assertThat(client.awaitType("alerts").path("alerts")).isEmpty();
                }

                assertEventOnBothOnce(a, publisher, "through-a", onA, onB);
                assertEventOnBothOnce(b, publisher, "through-b", onA, onB);
                // Over the 8000-byte NOTIFY limit: carried through the pulse_relay_events table.
                assertEventOnBothOnce(a, publisher, "large-" + "x".repeat(30_000), onA, onB);
                long first = Stack.insertAlert(tenant, "dev-1", "HIGH_TEMP", "OPEN", "Too hot");
                for (WsClient client : List.of(onA, onB)) {
                    client.await(alertsContaining(first), INSTANT);
                }

                // PostgreSQL goes away: both replicas say so; a broadcast is refused and counted, not lost silently.
                LocalStack.stack("stop-postgres");
                for (PackagedPulse replica : List.of(a, b)) {
                    Awaitility.await().atMost(Duration.ofSeconds(15))
                            .until(() -> replica.status("/q/health/group/sources") == 503);
                    assertThat(replica.body("/q/health/group/sources")).contains("\"cluster\"");
                    // Still ready: rooms and local events work, and new clients can connect to learn the status.
                    assertThat(replica.status("/q/health/ready")).isEqualTo(200);
                }
                assertThat(a.post("/ws/broadcast", publisher, event("while-down"))).isEqualTo(503);
                assertThat(a.body("/q/metrics")).containsPattern("pulse_cluster_events_total\\{outcome=\"failed\"[^}]*} [1-9]");

                // And comes back: both replicas listen again by themselves and deliver.
                LocalStack.stack("start-postgres");
                for (PackagedPulse replica : List.of(a, b)) {
                    Awaitility.await().atMost(Duration.ofSeconds(30))
                            .until(() -> replica.status("/q/health/group/sources") == 200);
                }
                assertEventOnBothOnce(b, publisher, "after-restart", onA, onB);
                long second = Stack.insertAlert(tenant, "dev-2", "LOW_BATTERY", "OPEN", "Battery low");
                for (WsClient client : List.of(onA, onB)) {
                    client.await(alertsContaining(second), INSTANT);
                }
                for (WsClient client : List.of(onA, onB)) {
                    assertThat(client.everythingBeforePong()).noneMatch(m -> "while-down".equals(
                            m.path("data").path("marker").asText()));
                }
            }
        }
    }

    /** Publishes through {@code replica}; each client gets the event, and only once. */
    private static void assertEventOnBothOnce(PackagedPulse replica, String publisher, String marker,
            WsClient... clients) {
        assertThat(replica.post("/ws/broadcast", publisher, event(marker))).isEqualTo(202);
        Predicate<JsonNode> theEvent = m -> "event".equals(m.path("type").asText())
                && marker.equals(m.path("data").path("marker").asText());
        for (WsClient client : clients) {
            JsonNode event = client.await(theEvent, INSTANT);
            assertThat(event.path("room").asText()).isEqualTo("ops");
            assertThat(client.everythingBeforePong()).noneMatch(theEvent);
        }
    }

    private static String event(String marker) {
        return "{\"event_type\":\"system_notification\",\"room\":\"ops\",\"data\":{\"marker\":\"" + marker + "\"}}";
    }

    private static Predicate<JsonNode> alertsContaining(long id) {
        return m -> "alerts".equals(m.path("type").asText())
                && m.path("alerts").findValues("id").stream().anyMatch(value -> value.asLong() == id);
    }
}
