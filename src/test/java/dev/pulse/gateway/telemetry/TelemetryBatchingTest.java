package dev.pulse.gateway.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Meters;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** A tenant watching more devices than one query may name is read in batches, and no device is left out. */
@QuarkusTest
@TestProfile(TelemetryBatchingTest.TwoDevicesPerQuery.class)
class TelemetryBatchingTest extends QuietRegistryTest {

    public static class TwoDevicesPerQuery implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pulse.telemetry.max-devices-per-query", "2");
        }
    }

    private static final int DEVICES = 5;


    @Test
    void fiveDevicesAreReadInThreeQueriesPerCycleAndAllArePushed() {
        String tenant = Tokens.newTenant();
        Instant first = Instant.now().minusSeconds(10).truncatedTo(ChronoUnit.MILLIS);
        StringBuilder points = new StringBuilder();
        for (int i = 0; i < DEVICES; i++) {
            points.append("telemetry,tenant_id=").append(tenant).append(",device_id=d").append(i)
                    .append(" value=").append(i).append(' ').append(Stack.nanos(first)).append('\n');
        }
        Stack.writeInflux(points.toString());

        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
            for (int i = 0; i < DEVICES; i++) {
                client.send("{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"d" + i + "\"}");
            }
            assertThat(devicesReceived(client, first)).hasSize(DEVICES);

            double cycles = Meters.influxCycles();
            double queries = Meters.influxQueries();
            await().atMost(Duration.ofSeconds(20)).until(() -> Meters.influxCycles() >= cycles + 3);
            double cyclesSeen = Meters.influxCycles() - cycles;
            // ceil(5 / 2) = 3 queries per cycle; a cycle in progress while counting may add up to 3.
            assertThat(Meters.influxQueries() - queries).isBetween(3 * cyclesSeen - 3, 3 * cyclesSeen + 3);

            // New points for every device arrive through the batched poll.
            Instant second = first.plusSeconds(5);
            Stack.writeInflux(points.toString().replace(Long.toString(Stack.nanos(first)),
                    Long.toString(Stack.nanos(second))));
            assertThat(devicesReceived(client, second)).hasSize(DEVICES);
        }
    }

    private static Set<String> devicesReceived(WsClient client, Instant time) {
        Set<String> devices = new HashSet<>();
        while (devices.size() < DEVICES) {
            JsonNode telemetry = client.await(m -> "telemetry".equals(m.path("type").asText())
                    && time.toString().equals(m.path("data").path("timestamp").asText()));
            devices.add(telemetry.path("device_id").asText());
        }
        return devices;
    }
}
