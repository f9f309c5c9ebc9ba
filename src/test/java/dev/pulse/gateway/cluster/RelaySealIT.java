package dev.pulse.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.RelayedEvents;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * The cluster relay is unforgeable and not replayable, against the packaged application: notifications on the events
 * channel, sent by the gateway's own database role as anyone who can log in could, are delivered only when sealed with
 * the cluster secret, fresh, and new. A valid envelope from another replica is delivered once; its replay, a stale one,
 * an unsigned one, one signed with another key, and unsigned, forged or replayed references to the relay table are
 * rejected and counted by reason.
 */
class RelaySealIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void onlySealedFreshNewEnvelopesAreDelivered() {
        try (PackagedPulse pulse = PackagedPulse.startPackaged("relay-seal-it", Map.of())) {
            String tenant = Tokens.newTenant();
            EnvelopeSeal cluster = seal(PackagedPulse.CLUSTER_SECRET, 0);
            try (WsClient member = WsClient.connect(pulse.ws("/ws/rooms/ops", Tokens.valid(tenant)))) {
                member.awaitType("joined");
                Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> Scrape.of(pulse).value("pulse_cluster_listening") == 1);

                String valid = cluster.seal(RelayedEvents.event(tenant, "valid"));
                Stack.notify("pulse_events", valid);
                JsonNode delivered = member.awaitType("event");
                assertThat(delivered.path("data").path("marker").asText()).isEqualTo("valid");

                Stack.notify("pulse_events", valid);
                Stack.notify("pulse_events", seal(PackagedPulse.CLUSTER_SECRET, -60_000).seal(RelayedEvents.event(tenant, "stale")));
                ObjectNode unsigned = JSON.createObjectNode().put("body", RelayedEvents.event(tenant, "unsigned").toString());
                Stack.notify("pulse_events", unsigned.toString());
                Stack.notify("pulse_events", seal("another-key-that-is-at-least-32-bytes-long", 0)
                        .seal(RelayedEvents.event(tenant, "forged")));
                // References to the relay table are sealed envelopes too: unsigned, forged and replayed ones are
                // rejected before any database read (the sealed one names a row that does not exist: malformed).
                Stack.notify("pulse_events", "{\"ref\":1}");
                Stack.notify("pulse_events", seal("another-key-that-is-at-least-32-bytes-long", 0)
                        .seal(JSON.createObjectNode().put("origin", "another-replica").put("ref", 1)));
                String reference = cluster.seal(JSON.createObjectNode().put("origin", "another-replica")
                        .put("ref", Long.MAX_VALUE));
                Stack.notify("pulse_events", reference);
                Stack.notify("pulse_events", reference);

                Map<String, Double> expected = Map.of("replayed", 2.0, "stale", 1.0, "unsigned", 2.0, "forged", 2.0,
                        "malformed", 1.0);
                Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    Scrape metrics = Scrape.of(pulse);
                    expected.forEach((reason, count) -> assertThat(metrics.value("pulse_cluster_rejected_total",
                            "reason=\"" + reason + "\"")).as(reason).isEqualTo(count));
                });
                assertThat(Scrape.of(pulse).value("pulse_cluster_events_total", "outcome=\"received\"")).isEqualTo(1);
                // Nothing but the one valid event reached the client.
                assertThat(member.everythingBeforePong()).noneMatch(m -> "event".equals(m.path("type").asText()));
            }
        }
    }

    /** A seal with this secret whose clock runs {@code skewMillis} off this machine's. */
    private static EnvelopeSeal seal(String secret, long skewMillis) {
        return new EnvelopeSeal(secret, Duration.ofSeconds(30), 100, JSON,
                () -> System.currentTimeMillis() + skewMillis);
    }
}
