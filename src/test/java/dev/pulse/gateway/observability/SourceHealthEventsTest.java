package dev.pulse.gateway.observability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Pulse's pollers publish through the same event path as backends: when the real InfluxDB stops, the tenant's
 * {@code system} room gets one {@code health_changed} event saying so, and another when it is back.
 */
@QuarkusTest
class SourceHealthEventsTest {

    @AfterEach
    void influxBack() {
        LocalStack.stack("start-influx");
    }

    @Test
    void influxOutageAndRecoveryArePublishedToTheSystemRoom() {
        String tenant = Tokens.newTenant();
        try (WsClient client = WsClient.connect(Endpoints.uri("/ws/rooms/system", Tokens.valid(tenant)))) {
            client.awaitType("joined");
            client.send(Frames.subscribeDevice("dev-1")).awaitType("subscribed");
            double failuresBefore = Scrape.now().value("pulse_poll_failures_total", "source=\"influxdb\"");

            LocalStack.stack("stop-influx");
            JsonNode down = client.await(m -> "health_changed".equals(m.path("event_type").asText()));
            assertThat(down.path("room").asText()).isEqualTo("system");
            assertThat(down.path("source").asText()).isEqualTo("pulse");
            assertThat(down.path("data").path("status").asText()).isEqualTo("unavailable");
            assertThat(down.path("data").path("details").path("source").asText()).isEqualTo("influxdb");
            // Internal details (addresses, errors) stay in the logs.
            assertThat(down.toString()).doesNotContain("127.0.0.1").doesNotContain("refused");
            assertThat(Scrape.now().value("pulse_poll_failures_total", "source=\"influxdb\""))
                    .isGreaterThan(failuresBefore);

            LocalStack.stack("start-influx");
            JsonNode up = client.await(m -> "health_changed".equals(m.path("event_type").asText()));
            assertThat(up.path("data").path("status").asText()).isEqualTo("available");
            // One event per change, not one per failing cycle.
            assertThat(client.everythingBeforePong()).noneMatch(m -> "event".equals(m.path("type").asText()));
        }
    }
}
