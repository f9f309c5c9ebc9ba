package dev.pulse.gateway.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.delivery.FanoutBudget;
import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.RawWsClient;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Tokens;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;

/**
 * Backpressure to publishers: while the messages waiting for a tenant's connections are at the bound
 * ({@code pulse.events.max-in-flight-per-tenant}), {@code POST /ws/broadcast} answers 429 with {@code Retry-After},
 * {@code EventBroadcaster} throws {@link FanoutOverloaded}, both are counted, and nothing is delivered; other tenants
 * publish as before; once the backlog drains, the tenant publishes again.
 */
@QuarkusTest
@TestProfile(FanoutBackpressureTest.SmallBound.class)
class FanoutBackpressureTest extends QuietRegistryTest {

    public static class SmallBound implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("pulse.events.max-in-flight-per-tenant", String.valueOf(BOUND),
                    "pulse.delivery.socket-send-buffer", "4096");
        }
    }

    private static final int BOUND = 6;
    /** An 8 KiB event: a few of them fill the small socket buffers of a client that does not read. */
    private static final String PAD = "x".repeat(8 * 1024);

    @Inject
    EventBroadcaster broadcaster;

    @Inject
    FanoutBudget budget;

    @Test
    void aTenantAtItsBoundIsToldToRetryLaterAndPublishesAgainOnceTheBacklogDrains() throws Exception {
        String tenant = Tokens.newTenant();
        String other = Tokens.newTenant();
        double restBefore = Scrape.now().value("pulse_events_throttled_total", "via=\"rest\"");
        double javaBefore = Scrape.now().value("pulse_events_throttled_total", "via=\"java\"");
        try (RawWsClient stuck = RawWsClient.open("/ws?token=" + Tokens.valid(tenant), Map.of(), 2048)) {
            stuck.sendText(Frames.join("r"));
            Awaitility.await().until(() -> registry.tenantSessions(tenant).stream()
                    .anyMatch(session -> session.rooms().contains("r")));

            // The client does not read: its writes back up until the tenant's bound, then publishers are refused.
            ExtractableResponse<Response> refused = null;
            for (int published = 0; refused == null; published++) {
                assertThat(published).as("the bound was never reached").isLessThan(200);
                ExtractableResponse<Response> answer = Broadcasts.post(Broadcasts.serviceToken(tenant), event())
                        .extract();
                if (answer.statusCode() == 429) {
                    refused = answer;
                } else {
                    assertThat(answer.statusCode()).isEqualTo(202);
                }
            }
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            assertThat(refused.jsonPath().getString("error")).isEqualTo("overloaded");
            assertThat(refused.jsonPath().getBoolean("success")).isFalse();
            assertThatThrownBy(() -> broadcaster.customEvent(tenant, "load", Map.of(), "r", null))
                    .isInstanceOf(FanoutOverloaded.class)
                    .satisfies(e -> assertThat(((FanoutOverloaded) e).retryAfter()).isEqualTo(Duration.ofSeconds(1)));
            // Pulse's own source-health event still goes out, and other tenants are not held back.
            broadcaster.healthChanged(tenant, "available", Map.of("source", "influxdb"));
            assertThat(Broadcasts.publish(other, "{\"event_type\":\"load\",\"data\":{}}")).isZero();
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Scrape now = Scrape.now();
                assertThat(now.value("pulse_events_throttled_total", "via=\"rest\"")).isGreaterThan(restBefore);
                assertThat(now.value("pulse_events_throttled_total", "via=\"java\"")).isGreaterThan(javaBefore);
                assertThat(now.value("pulse_broadcast_requests_total", "outcome=\"throttled\"")).isPositive();
                assertThat(now.value("pulse_fanout_in_flight")).isGreaterThanOrEqualTo(BOUND);
            });
        }
        // The stuck client is gone, its pending writes with it: the tenant publishes again.
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> budget.refusal(tenant).isEmpty());
        Broadcasts.post(Broadcasts.serviceToken(tenant), event()).statusCode(202);
    }

    private static String event() {
        return "{\"event_type\":\"load\",\"room\":\"r\",\"data\":{\"pad\":\"" + PAD + "\"}}";
    }
}
