package dev.pulse.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

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

    /** Seals as another replica with the same cluster secret would. */
    private static EnvelopeSeal clusterSeal() {
        return new EnvelopeSeal(ConfigProvider.getConfig().getValue("pulse.cluster.secret", String.class),
                Duration.ofSeconds(30), 10, JSON, System::currentTimeMillis);
    }

    private static void notify(String payload) {
        Stack.execute("NOTIFY " + PostgresBus.EVENTS_CHANNEL + ", '" + payload.replace("'", "''") + "'");
    }
}
