package dev.pulse.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * JSON logs of the packaged application ({@code QUARKUS_LOG_CONSOLE_JSON_ENABLED=true}, as the Kubernetes manifests
 * set it): one JSON record per line, the connection lifecycle lines carrying the connection id, tenant and endpoint as
 * fields, and no token anywhere, as in the plain form (LogHygieneTest).
 */
class JsonLogsIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void lifecycleRecordsCarryTheConnectionAsFieldsAndNoToken() throws Exception {
        try (PackagedPulse pulse = PackagedPulse.startPackaged("json-logs-it",
                Map.of("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true"))) {
            String tenant = Tokens.newTenant();
            String subject = "user-" + java.util.UUID.randomUUID();
            String token = Tokens.sign(Tokens.claims(tenant, "customer_viewer").subject(subject)
                    .claim("email", subject + "@example.com"));
            String id;
            try (WsClient client = WsClient.connect(pulse.ws("/api/v2/ws", token))) {
                id = client.connectedEvent().path("data").path("connection_id").asText();
                client.send(Frames.ping()).awaitType("pong");
            }
            try (WsClient rejected = WsClient.connect(pulse.ws("/api/v2/ws", token + "x"))) {
                rejected.awaitClose();
            }
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> pulse.log().contains("Connection closed id=" + id));

            List<JsonNode> records = new ArrayList<>();
            for (String line : pulse.log().split("\n")) {
                if (line.contains("Connection ")) {
                    records.add(JSON.readTree(line));
                }
            }
            JsonNode opened = record(records, "Connection opened id=" + id);
            JsonNode closed = record(records, "Connection closed id=" + id);
            for (JsonNode record : List.of(opened, closed)) {
                JsonNode fields = record.has("mdc") ? record.path("mdc") : record;
                assertThat(fields.path("connection_id").asText()).isEqualTo(id);
                assertThat(fields.path("tenant").asText()).isEqualTo(tenant);
                assertThat(fields.path("endpoint").asText()).isEqualTo("api_v2");
            }
            assertThat(records).anySatisfy(record -> assertThat(record.path("message").asText()).contains("rejected"));
            assertThat(pulse.log()).doesNotContain(token).doesNotContain(token.substring(token.lastIndexOf('.') + 1))
                    .doesNotContain(subject);
        }
    }

    private static JsonNode record(List<JsonNode> records, String messageStart) {
        return records.stream().filter(record -> record.path("message").asText().startsWith(messageStart)).findFirst()
                .orElseThrow(() -> new AssertionError("no record starting with " + messageStart + " in " + records));
    }
}
