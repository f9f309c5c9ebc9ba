package dev.pulse.gateway.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Broadcasts;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The latency histograms: a live push (an event, an alert raised after the subscribe, a new telemetry point) is
 * measured from when it happened to its write; the snapshot a new subscriber gets first is not measured at all.
 */
@QuarkusTest
class DeliveryDelayTest extends QuietRegistryTest {

    private static final String EVENT_COUNT = "pulse_delivery_delay_seconds_count";
    private static final String POINT_COUNT = "pulse_telemetry_point_age_seconds_count";

    @Test
    void anEventIsMeasuredFromItsPublicationForEachRecipient() {
        String tenant = Tokens.newTenant();
        // More members than event loops (at most twice the cores): some share a loop and its write run, where one
        // delay is observed for all of them at once, and must still count once per recipient.
        int count = 2 * Runtime.getRuntime().availableProcessors() + 1;
        List<WsClient> members = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                WsClient member = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)));
                members.add(member);
                member.send(Frames.join("ops")).awaitType("joined");
            }
            Scrape before = Scrape.now();

            assertThat(Broadcasts.publish(tenant, "{\"event_type\":\"deployed\",\"data\":{},\"room\":\"ops\"}"))
                    .isEqualTo(count);
            members.forEach(member -> member.awaitType("event"));

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                Scrape after = Scrape.now();
                assertThat(after.value(EVENT_COUNT, "type=\"event\"") - before.value(EVENT_COUNT, "type=\"event\""))
                        .isEqualTo(count);
                // Every write falls in the first buckets, not in the minute-long tail.
                assertThat(after.value("pulse_delivery_delay_seconds_bucket", "type=\"event\"", "le=\"1.0\"")
                        - before.value("pulse_delivery_delay_seconds_bucket", "type=\"event\"", "le=\"1.0\""))
                        .isEqualTo(count);
            });
        } finally {
            members.forEach(WsClient::close);
        }
    }

    @Test
    void anAlertRaisedAfterTheSubscribeIsMeasuredAndTheFirstListIsNot() {
        String tenant = Tokens.newTenant();
        Stack.insertAlert(tenant, "dev-1", "HIGH_TEMP", "OPEN", "raised long before");
        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
            Scrape before = Scrape.now();
            client.send(Frames.subscribeAlerts());
            assertThat(client.awaitType("alerts").path("alerts")).hasSize(1);
            assertThat(Scrape.now().value(EVENT_COUNT, "type=\"alerts\"")).isEqualTo(
                    before.value(EVENT_COUNT, "type=\"alerts\""));

            Stack.insertAlert(tenant, "dev-2", "HIGH_TEMP", "OPEN", "raised now");
            assertThat(client.awaitType("alerts").path("alerts")).hasSize(2);

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                    Scrape.now().value(EVENT_COUNT, "type=\"alerts\"") - before.value(EVENT_COUNT, "type=\"alerts\""))
                    .isEqualTo(1));
        }
    }

    @Test
    void aNewPointIsMeasuredByItsAgeAndTheSnapshotIsNot() {
        String tenant = Tokens.newTenant();
        Instant old = Instant.now().minusSeconds(600);
        Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=dev-1 temperature=20 "
                + Stack.nanos(old));
        try (WsClient client = WsClient.connect(Endpoints.apiV2(Tokens.valid(tenant)))) {
            Scrape before = Scrape.now();
            client.send(Frames.subscribeDevice("dev-1"));
            client.awaitType("telemetry");
            assertThat(Scrape.now().value(POINT_COUNT)).isEqualTo(before.value(POINT_COUNT));

            Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=dev-1 temperature=21 "
                    + Stack.nanos(Instant.now()));
            assertThat(client.awaitType("telemetry").path("data").path("metrics").path("temperature").asDouble())
                    .isEqualTo(21);

            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                Scrape after = Scrape.now();
                assertThat(after.value(POINT_COUNT) - before.value(POINT_COUNT)).isEqualTo(1);
                // One test poll interval (1 s) and a little: well under the 10 s bucket, nowhere near the old point.
                assertThat(after.value("pulse_telemetry_point_age_seconds_bucket", "le=\"10.0\"")
                        - before.value("pulse_telemetry_point_age_seconds_bucket", "le=\"10.0\"")).isEqualTo(1);
            });
        }
    }
}
