package dev.pulse.gateway.outages;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * An outage of a shared database does not take the service away, against the packaged application: with InfluxDB
 * stopped, readiness stays UP (the replica can serve), the {@code sources} health group is DOWN, and a new client
 * connects, is told {@code status: unavailable} for its device subscription, joins a room and receives a broadcast.
 */
class ReadinessDuringOutageIT {

    @AfterEach
    void influxBack() {
        LocalStack.stack("start-influx");
    }

    @Test
    void anInfluxOutageLeavesTheReplicaReadyAndServingWhatDoesNotNeedInflux() {
        try (PackagedPulse pulse = PackagedPulse.startPackaged("readiness-during-outage-it",
                Map.of("PULSE_TELEMETRY_POLL_INTERVAL", "1s"))) {
            String tenant = Tokens.newTenant();
            String publisher = Tokens.sign(Tokens.claims(tenant, "service"));
            try (WsClient watcher = WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant)))) {
                watcher.send(Frames.subscribeDevice("pump-1")).awaitType("subscribed");

                LocalStack.stack("stop-influx");
                watcher.await(status("unavailable"), Duration.ofSeconds(15));
                Awaitility.await().atMost(Duration.ofSeconds(15))
                        .until(() -> pulse.status("/q/health/group/sources") == 503);
                assertThat(pulse.body("/q/health/group/sources")).contains("\"influxdb\"");
                assertThat(pulse.status("/q/health/ready")).isEqualTo(200);
                assertThat(pulse.status("/q/health/live")).isEqualTo(200);

                try (WsClient newcomer = WsClient.connect(pulse.ws("/ws/rooms/ops", Tokens.valid(tenant)))) {
                    newcomer.awaitType("joined");
                    newcomer.send(Frames.subscribeDevice("pump-2")).awaitType("subscribed");
                    newcomer.await(status("unavailable"));
                    assertThat(pulse.post("/ws/broadcast", publisher,
                            "{\"event_type\":\"during_outage\",\"room\":\"ops\"}")).isEqualTo(202);
                    JsonNode event = newcomer.await(m -> "during_outage".equals(m.path("event_type").asText()));
                    assertThat(event.path("room").asText()).isEqualTo("ops");
                }
            }
        }
    }

    private static java.util.function.Predicate<JsonNode> status(String state) {
        return m -> "status".equals(m.path("type").asText()) && "influxdb".equals(m.path("source").asText())
                && state.equals(m.path("status").asText());
    }
}
