package dev.pulse.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import dev.pulse.gateway.events.EventService;

import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.RelayedEvents;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * What arrives on the events channel is delivered only if Pulse signed it: any database role can NOTIFY, so a
 * notification sent by hand (here, through the superuser) with a wrong or missing signature, or a reference to a
 * stored event that does not exist, reaches no client and is counted as rejected; one signed with the replicas' key
 * by another replica (the cluster secret of the test profile) is delivered, with the timestamp it was given there.
 */
@QuarkusTest
class EventRelayTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    EventService service;

    @Test
    void onlyEnvelopesSignedWithTheReplicasKeyAreDelivered() throws Exception {
        String tenant = Tokens.newTenant();
        try (WsClient client = WsClient.connect(Endpoints.uri("/ws/rooms/ops", Tokens.valid(tenant)))) {
            client.awaitType("joined");
            double rejected = Scrape.now().value("pulse_cluster_events_total", "outcome=\"rejected\"");

            String forged = RelayedEvents.event(tenant, "forged").toString();
            notify("{\"sig\":\"AAAA\",\"body\":" + JSON.writeValueAsString(forged) + "}");
            notify("{\"body\":" + JSON.writeValueAsString(forged) + "}");
            notify("not json at all");
            notify("{\"ref\":999999999}");
            Awaitility.await().until(() -> Scrape.now().value("pulse_cluster_events_total", "outcome=\"rejected\"")
                    >= rejected + 4);

            notify(clusterSeal().seal(RelayedEvents.event(tenant, "genuine")));
            var event = client.awaitType("event");
            assertThat(event.path("data").path("marker").asText()).isEqualTo("genuine");
            assertThat(event.path("timestamp").asText()).isEqualTo("2030-01-01T00:00:00Z");
            assertThat(client.everythingBeforePong()).noneMatch(m -> "event".equals(m.path("type").asText()));
        }
    }

    /**
     * Events sent together share a NOTIFY: 200 broadcasts issued at once reach a plain LISTEN connection in fewer
     * notifications, each within the payload limit and sealed once for all its items, with every event in exactly one
     * of them. A batch from another replica is delivered item by item; the same batch sealed for the poll-results
     * channel and notified on the events channel is rejected.
     */
    @Test
    void eventsSentTogetherShareOneSealedNotificationAndBatchesAreCheckedPerChannel() throws Exception {
        String tenant = Tokens.newTenant();
        int events = 200;
        List<String> notifications = new ArrayList<>();
        try (Connection listener = Stack.gatewayRole()) {
            listener.setAutoCommit(true);
            try (Statement listen = listener.createStatement()) {
                listen.execute("LISTEN " + PostgresBus.EVENTS_CHANNEL);
            }
            List<CompletableFuture<EventService.Outcome>> outcomes = new ArrayList<>();
            for (int i = 0; i < events; i++) {
                outcomes.add(service.broadcast(tenant, "system_notification", JSON.createObjectNode().put("n", i),
                        "test", "ops").subscribeAsCompletionStage());
            }
            for (CompletableFuture<EventService.Outcome> outcome : outcomes) {
                assertThat(outcome.get(10, TimeUnit.SECONDS)).isInstanceOf(EventService.Outcome.Delivered.class);
            }
            PGConnection pg = listener.unwrap(PGConnection.class);
            Set<Integer> seen = new HashSet<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (seen.size() < events && System.nanoTime() < deadline) {
                PGNotification[] received = pg.getNotifications(200);
                for (PGNotification notification : received == null ? new PGNotification[0] : received) {
                    notifications.add(notification.getParameter());
                    EnvelopeSeal.Opened opened = clusterSeal().open(JSON.readTree(notification.getParameter()));
                    assertThat(opened.verdict()).isEqualTo(EnvelopeSeal.Verdict.ACCEPTED);
                    assertThat(notification.getParameter().getBytes(StandardCharsets.UTF_8).length)
                            .isLessThanOrEqualTo(PostgresBus.MAX_PAYLOAD_BYTES);
                    JsonNode items = opened.body().has("items") ? opened.body().get("items")
                            : JSON.createArrayNode().add(opened.body());
                    for (JsonNode item : items) {
                        if (tenant.equals(item.path("tenant").asText())) {
                            assertThat(seen.add(item.path("data").path("n").asInt())).isTrue();
                        }
                    }
                }
            }
            assertThat(seen).hasSize(events);
            assertThat(notifications).hasSizeLessThan(events / 2);
        }

        try (WsClient client = WsClient.connect(Endpoints.uri("/ws/rooms/ops", Tokens.valid(tenant)))) {
            client.awaitType("joined");
            ObjectNode batch = JSON.createObjectNode().put("origin", "another-replica")
                    .put("channel", PostgresBus.EVENTS_CHANNEL);
            batch.putArray("items").add(RelayedEvents.event(tenant, "first").without("origin"))
                    .add(RelayedEvents.event(tenant, "second").without("origin"));
            notify(clusterSeal().seal(batch));
            assertThat(client.awaitType("event").path("data").path("marker").asText()).isEqualTo("first");
            assertThat(client.awaitType("event").path("data").path("marker").asText()).isEqualTo("second");

            double rejected = Scrape.now().value("pulse_cluster_events_total", "outcome=\"rejected\"");
            ObjectNode elsewhere = batch.deepCopy().put("channel", PostgresBus.POLLS_CHANNEL);
            ((ArrayNode) elsewhere.get("items")).removeAll().add(RelayedEvents.event(tenant, "wrong-channel")
                    .without("origin"));
            notify(clusterSeal().seal(elsewhere));
            Awaitility.await().until(() -> Scrape.now().value("pulse_cluster_events_total", "outcome=\"rejected\"")
                    >= rejected + 1);
            assertThat(client.everythingBeforePong()).noneMatch(m -> "event".equals(m.path("type").asText()));
        }
    }

    /** Seals as another replica with the same cluster secret would. */
    private static EnvelopeSeal clusterSeal() {
        return new EnvelopeSeal(ConfigProvider.getConfig().getValue("pulse.cluster.secret", String.class),
                Duration.ofSeconds(30), 10, JSON, System::currentTimeMillis);
    }

    private static void notify(String payload) {
        Stack.execute("NOTIFY " + PostgresBus.EVENTS_CHANNEL + ", '" + payload.replace("'", "''") + "'");
    }
}
