package dev.pulse.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A publisher on one HTTP/2 connection: a request Pulse refuses (no token, a token without the role) ends only its
 * own stream, and the publisher's next requests on the same connection are answered. Over HTTP/1.1 a refusal closes
 * the connection (its unread body would otherwise stand in the next request's way); over HTTP/2 that would cut off
 * every other request in flight on it.
 */
@QuarkusTest
class Http2RefusalTest extends QuietRegistryTest {

    @Test
    void aRefusedRequestEndsItsStreamAndTheConnectionGoesOn() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(5)).build();
        String tenant = Tokens.newTenant();
        String publisher = Broadcasts.serviceToken(tenant);
        String event = "{\"event_type\":\"deployed\",\"data\":{}}";

        // The first request upgrades the connection to HTTP/2 (h2c).
        HttpResponse<String> first = client.send(post(publisher, event), HttpResponse.BodyHandlers.ofString());
        assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
        assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);

        for (int round = 0; round < 3; round++) {
            HttpResponse<String> anonymous = client.send(post(null, event), HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.body()).contains("\"error\":\"unauthorized\"");
            HttpResponse<String> viewer = client.send(post(Tokens.valid(tenant), event),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(viewer.statusCode()).isEqualTo(403);
            HttpResponse<String> accepted = client.send(post(publisher, event), HttpResponse.BodyHandlers.ofString());
            assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
            assertThat(accepted.version()).isEqualTo(HttpClient.Version.HTTP_2);
        }
    }

    private static HttpRequest post(String token, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + Endpoints.port()
                + "/ws/broadcast")).timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return request.build();
    }
}
