package dev.pulse.gateway.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/** With pulse.metrics.tenant-labels on, per-connection and per-message counters carry the tenant. */
@QuarkusTest
@TestProfile(TenantLabelsTest.WithTenantLabels.class)
class TenantLabelsTest {

    public static class WithTenantLabels implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pulse.metrics.tenant-labels", "true");
        }
    }

    @Test
    void countersCarryTheTenantLabel() {
        String tenant = Tokens.newTenant();
        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
            client.send(Frames.ping()).awaitType("pong");
        }
        String label = "tenant=\"" + tenant + "\"";
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Scrape scrape = Scrape.now();
            assertThat(scrape.value("pulse_connections_opened_total", label))
                    .as(() -> scrape.text().lines().filter(l -> l.startsWith("pulse_connections")).toList().toString())
                    .isEqualTo(1);
            assertThat(scrape.value("pulse_messages_received_total", label, "type=\"ping\"")).isEqualTo(1);
            assertThat(scrape.value("pulse_messages_sent_total", label, "type=\"reply\"")).isEqualTo(1);
            assertThat(scrape.value("pulse_connections_closed_total", label)).isEqualTo(1);
        });
    }
}
