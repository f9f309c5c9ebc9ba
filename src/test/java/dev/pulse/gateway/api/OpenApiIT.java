package dev.pulse.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;

import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Contract;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * The OpenAPI document of the packaged application describes what its REST side really answers: the document is on
 * the management port (not the public one, no Swagger UI outside dev mode), names the bearer scheme and every status,
 * and real answers of every documented kind validate against its schemas.
 */
class OpenApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void theDocumentDescribesTheRestSideAndRealAnswersMatchIt() throws Exception {
        try (PackagedPulse pulse = PackagedPulse.startPackaged("openapi-it", Map.of())) {
            JsonNode document = JSON.readTree(pulse.body("/q/openapi?format=json"));
            assertThat(pulse.publicStatus("/q/openapi")).isEqualTo(404);
            assertThat(pulse.status("/q/swagger-ui/")).isEqualTo(404);
            assertThat(document.path("openapi").asText()).startsWith("3.1");
            assertThat(document.path("components").path("securitySchemes").path("bearer").path("scheme").asText())
                    .isEqualTo("bearer");

            JsonNode broadcast = document.path("paths").path("/ws/broadcast").path("post");
            assertThat(broadcast.path("security").toString()).contains("bearer");
            assertThat(broadcast.path("requestBody").toString()).contains("BroadcastRequest");
            assertThat(fieldNames(broadcast.path("responses")))
                    .containsExactlyInAnyOrder("202", "400", "401", "403", "408", "413", "429", "503");
            JsonNode stats = document.path("paths").path("/ws/stats").path("get");
            assertThat(fieldNames(stats.path("responses"))).containsExactlyInAnyOrder("200", "401", "403");

            String tenant = Tokens.newTenant();
            try (WsClient member = WsClient.connect(pulse.ws("/ws", Tokens.valid(tenant)))) {
                member.send("{\"action\":\"join\",\"room\":\"ops\"}").awaitType("joined");
                String publisher = Broadcasts.serviceToken(tenant);
                assertMatches(document, "BroadcastAccepted", post(pulse, publisher,
                        "{\"event_type\":\"deployed\",\"data\":{\"v\":2},\"room\":\"ops\"}"), 202);
                assertMatches(document, "BroadcastAccepted", post(pulse, publisher,
                        "{\"event_type\":\"deployed\"}"), 202);
                assertMatches(document, "Error", post(pulse, publisher, "{\"event_type\":\"Bad Type\"}"), 400);
                assertMatches(document, "Error", post(pulse, null, "{\"event_type\":\"deployed\"}"), 401);
                assertMatches(document, "Error", post(pulse, Tokens.valid(tenant), "{\"event_type\":\"deployed\"}"),
                        403);
            }
            assertMatches(document, "TenantStatistics",
                    get(pulse, Tokens.sign(Tokens.claims(tenant, "customer_admin"))), 200);
            assertMatches(document, "PlatformStatistics",
                    get(pulse, Tokens.sign(Tokens.base().claim("role", "platform_admin"))), 200);
            assertMatches(document, "Error", get(pulse, Tokens.valid(tenant)), 403);
        }
    }

    private static void assertMatches(JsonNode document, String schemaName, HttpResponse<String> answer,
            int status) {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(status);
        assertThat(Contract.componentSchema(document, schemaName).validate(answer.body(), InputFormat.JSON))
                .as("%s against %s", answer.body(), schemaName).isEmpty();
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static HttpResponse<String> post(PackagedPulse pulse, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pulse.port()
                + "/ws/broadcast")).timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(request.build());
    }

    private static HttpResponse<String> get(PackagedPulse pulse, String token) throws Exception {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + pulse.port() + "/ws/stats"))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token).GET().build());
    }

    private static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
