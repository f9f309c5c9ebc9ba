package dev.pulse.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.registry.RegistryStatistics;
import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.Meters;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * Work grows with what is watched, not with who watches: 50 clients of one tenant on one device and on alerts cost one
 * InfluxDB query and one PostgreSQL query per poll cycle, counted by Pulse's own meters.
 */
@QuarkusTest
class QueryCountTest extends QuietRegistryTest {

    private static final int CLIENTS = 50;
    private static final int CYCLES = 4;

    @Inject
    RegistryStatistics statistics;

    @Test
    void fiftyWatchersOfOneDeviceCostOneQueryPerSourcePerCycle() {
        String tenant = Tokens.newTenant();
        Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=shared value=1 "
                + Stack.nanos(Instant.now()));
        Stack.insertAlert(tenant, "shared", "T", "OPEN", "one");
        List<WsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < CLIENTS; i++) {
                WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)));
                clients.add(client);
                client.send(Frames.subscribeDevice("shared"));
                client.send(Frames.subscribeAlerts());
            }
            for (WsClient client : clients) {
                client.awaitType("telemetry");
                client.awaitType("alerts");
            }
            assertThat(statistics.deviceSubscriptionCount()).isEqualTo(CLIENTS);

            double influxCycles = Meters.influxCycles();
            double influxQueries = Meters.influxQueries();
            double pgCycles = Meters.postgresCycles();
            double pgQueries = Meters.postgresQueries();
            await().atMost(Duration.ofSeconds(30)).until(() -> Meters.influxCycles() >= influxCycles + CYCLES
                    && Meters.postgresCycles() >= pgCycles + CYCLES);
            double cyclesInflux = Meters.influxCycles() - influxCycles;
            double cyclesPg = Meters.postgresCycles() - pgCycles;
            // One query per cycle; a cycle running while the counters are read may add one.
            assertThat(Meters.influxQueries() - influxQueries).isBetween(cyclesInflux - 1, cyclesInflux + 1);
            assertThat(Meters.postgresQueries() - pgQueries).isBetween(cyclesPg - 1, cyclesPg + 1);
        } finally {
            clients.forEach(WsClient::close);
        }
    }
}
