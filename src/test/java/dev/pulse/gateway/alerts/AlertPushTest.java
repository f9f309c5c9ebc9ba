package dev.pulse.gateway.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Meters;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/** The alert list is pushed on subscribe, then only when it changes: acknowledging or closing an alert counts. */
@QuarkusTest
class AlertPushTest {


    @Test
    void anUnchangedListIsNotSentAgainAndStatusChangesAre() {
        String tenant = Tokens.newTenant();
        long first = Stack.insertAlert(tenant, "dev-1", "HIGH_TEMP", "OPEN", "first");
        long second = Stack.insertAlert(tenant, "dev-2", "HIGH_TEMP", "OPEN", "second");

        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
            client.send(Frames.subscribeAlerts());
            assertThat(client.awaitType("alerts").path("alerts")).hasSize(2);

            // Several polls later, with nothing changed, nothing more has been sent.
            double cycles = Meters.postgresCycles();
            await().atMost(Duration.ofSeconds(15)).until(() -> Meters.postgresCycles() >= cycles + 3);
            assertThat(client.everythingBeforePong()).noneMatch(m -> "alerts".equals(m.path("type").asText()));

            // Acknowledged and closed alerts leave the list of open ones.
            Stack.updateAlertStatus(first, "ACKNOWLEDGED");
            JsonNode afterAck = client.awaitType("alerts");
            assertThat(afterAck.path("alerts")).hasSize(1);
            assertThat(afterAck.path("alerts").get(0).path("id").asLong()).isEqualTo(second);
            Stack.updateAlertStatus(second, "CLOSED");
            assertThat(client.awaitType("alerts").path("alerts")).isEmpty();
        }
    }
}
