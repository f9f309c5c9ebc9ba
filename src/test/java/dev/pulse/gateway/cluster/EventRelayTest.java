package dev.pulse.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * What arrives on the events channel is delivered only if Pulse signed it: any database role can NOTIFY, so a
 * notification sent by hand (here, through the superuser) with a wrong or missing signature, or a reference to a
 * stored event that does not exist, reaches no client and is counted as rejected; one signed with the replicas' key
 * by another replica is delivered, with the timestamp it was given there.
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

            String forged = body(tenant, "forged");
            notify("{\"sig\":\"AAAA\",\"body\":" + JSON.writeValueAsString(forged) + "}");
            notify("{\"body\":" + JSON.writeValueAsString(forged) + "}");
            notify("not json at all");
            notify("{\"ref\":999999999}");
            Awaitility.await().until(() -> Scrape.now().value("pulse_cluster_events_total", "outcome=\"rejected\"")
                    >= rejected + 4);

            String genuine = body(tenant, "genuine");
            notify("{\"sig\":\"" + sign(genuine) + "\",\"body\":" + JSON.writeValueAsString(genuine) + "}");
            var event = client.awaitType("event");
            assertThat(event.path("data").path("marker").asText()).isEqualTo("genuine");
            assertThat(event.path("timestamp").asText()).isEqualTo("2030-01-01T00:00:00Z");
            assertThat(client.everythingBeforePong()).noneMatch(m -> "event".equals(m.path("type").asText()));
        }
    }

    private static String body(String tenant, String marker) {
        ObjectNode body = JSON.createObjectNode();
        body.put("origin", "another-replica");
        body.put("tenant", tenant);
        body.put("event_type", "system_notification");
        body.put("source", "api_server");
        body.put("room", "ops");
        body.put("timestamp", "2030-01-01T00:00:00Z");
        body.putObject("data").put("marker", marker);
        return body.toString();
    }

    /** The replicas' default key: derived from the datasource credentials they share. */
    private static String sign(String text) throws Exception {
        var config = ConfigProvider.getConfig();
        String secret = "pulse-cluster:" + config.getValue("quarkus.datasource.username", String.class) + ":"
                + config.getValue("quarkus.datasource.password", String.class);
        byte[] key = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static void notify(String payload) {
        Stack.execute("NOTIFY " + PostgresBus.EVENTS_CHANNEL + ", '" + payload.replace("'", "''") + "'");
    }
}
