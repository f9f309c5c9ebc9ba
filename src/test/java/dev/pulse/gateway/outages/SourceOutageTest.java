package dev.pulse.gateway.outages;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import jakarta.inject.Inject;

import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.pulse.gateway.registry.ConnectionRegistry;
import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.Management;
import dev.pulse.gateway.support.Endpoints;
import dev.pulse.gateway.support.LocalStack;
import dev.pulse.gateway.support.LogCapture;
import dev.pulse.gateway.support.QuietRegistryTest;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The real InfluxDB process and the real PostgreSQL cluster are stopped and started again while clients are connected.
 * Connections stay open; each subscriber gets one {@code status} message when its source goes down and one when it is
 * back; polls back off instead of flooding the log; readiness follows the sources while liveness does not; and after
 * recovery subscribers get what the source held all along, without reconnecting or resubscribing.
 */
@QuarkusTest
class SourceOutageTest extends QuietRegistryTest {

    /** The shared databases' health group: not readiness, so an outage does not empty the Service. */
    private static final String SOURCES = "/q/health/group/sources";
    /** Recovery is noticed at the next attempt, which back-off may have pushed several seconds out. */
    private static final Duration RECOVERY = Duration.ofSeconds(30);

    @AfterEach
    void sourcesBack() {
        LocalStack.stack("start-influx");
        LocalStack.stack("start-postgres");
        Awaitility.await().atMost(RECOVERY).until(() -> Management.get(SOURCES).statusCode() == 200);
    }

    @Test
    void influxDbGoingAwayAndComingBack() {
        String tenant = Tokens.newTenant();
        String watched = "dev-watched";
        String heldDuringOutage = "dev-held";
        Instant minuteAgo = Instant.now().minusSeconds(60).truncatedTo(ChronoUnit.MILLIS);
        Stack.writeInflux(point(tenant, watched, 1, minuteAgo));
        Stack.writeInflux(point(tenant, heldDuringOutage, 7, minuteAgo));

        try (LogCapture log = LogCapture.start();
                WsClient early = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)))) {
            early.send(subscribe(watched)).awaitType("subscribed");
            assertThat(early.await(telemetry(watched)).path("data").path("metrics").path("value").asDouble())
                    .isEqualTo(1.0);
            double failuresBefore = influxFailures();

            LocalStack.stack("stop-influx");
            assertThat(early.await(status("influxdb", "unavailable")).path("timestamp").asText()).isNotBlank();
            Awaitility.await().until(() -> "DOWN".equals(source("influxdb")));
            assertThat(source("postgresql")).isEqualTo("UP");
            Management.get(SOURCES).then().statusCode(503);
            // This replica can still serve (rooms, events, status messages): it stays in the Service.
            Management.get("/q/health/ready").then().statusCode(200);
            Management.get("/q/health/live").then().statusCode(200);

            // A device subscribed during the outage is told at once why nothing comes yet.
            try (WsClient late = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)))) {
                late.send(subscribe(heldDuringOutage)).awaitType("subscribed");
                late.await(status("influxdb", "unavailable"));

                // Back-off: four failing polls take 1 + 2 + 4 s, not the 3 s of the 1 s poll interval.
                Awaitility.await().atMost(RECOVERY).until(() -> influxFailures() >= failuresBefore + 1);
                long firstFailure = System.nanoTime();
                Awaitility.await().atMost(RECOVERY).until(() -> influxFailures() >= failuresBefore + 4);
                assertThat(Duration.ofNanos(System.nanoTime() - firstFailure)).isGreaterThan(Duration.ofSeconds(5));
                assertThat(early.isClosedByServer()).isFalse();

                LocalStack.stack("start-influx");
                early.await(status("influxdb", "available"), RECOVERY);
                late.await(status("influxdb", "available"), RECOVERY);
                // What InfluxDB held all along reaches the subscriber that joined during the outage...
                assertThat(late.await(telemetry(heldDuringOutage)).path("data").path("metrics").path("value")
                        .asDouble()).isEqualTo(7.0);
                // ...and pushes resume by themselves.
                Stack.writeInflux(point(tenant, watched, 2, Instant.now().truncatedTo(ChronoUnit.MILLIS)));
                assertThat(early.await(telemetry(watched)).path("data").path("metrics").path("value").asDouble())
                        .isEqualTo(2.0);
                Awaitility.await().until(() -> Management.get(SOURCES).statusCode() == 200);

                // One status message per change, not one per failing poll.
                assertThat(early.everythingBeforePong()).noneMatch(m -> "status".equals(m.path("type").asText()));
                assertThat(late.everythingBeforePong()).noneMatch(m -> "status".equals(m.path("type").asText()));
            }
            assertQuietLog(log, "influxdb");
        }
    }

    @Test
    void postgreSqlGoingAwayAndComingBack() {
        String tenant = Tokens.newTenant();
        String latecomerTenant = Tokens.newTenant();
        long first = Stack.insertAlert(tenant, "dev-1", "temperature_high", "OPEN", "Too hot");
        long latecomersAlert = Stack.insertAlert(latecomerTenant, "dev-9", "battery_low", "OPEN", "Battery low");

        try (LogCapture log = LogCapture.start();
                WsClient early = WsClient.connect(Endpoints.ws(Tokens.valid(tenant)))) {
            early.send(Frames.subscribeAlerts()).awaitType("subscribed");
            assertThat(ids(early.awaitType("alerts"))).containsExactly(first);

            LocalStack.stack("stop-postgres");
            early.await(status("postgresql", "unavailable"));
            Awaitility.await().until(() -> "DOWN".equals(source("postgresql")));
            assertThat(source("influxdb")).isEqualTo("UP");
            Management.get(SOURCES).then().statusCode(503);
            Management.get("/q/health/ready").then().statusCode(200);
            Management.get("/q/health/live").then().statusCode(200);

            // A tenant nobody watched before subscribes during the outage: no list can be read yet, and it is told so.
            try (WsClient late = WsClient.connect(Endpoints.ws(Tokens.valid(latecomerTenant)))) {
                late.send(Frames.subscribeAlerts()).awaitType("subscribed");
                late.await(status("postgresql", "unavailable"));
                assertThat(late.everythingBeforePong()).noneMatch(m -> "alerts".equals(m.path("type").asText()));

                LocalStack.stack("start-postgres");
                early.await(status("postgresql", "available"), RECOVERY);
                late.await(status("postgresql", "available"), RECOVERY);
                // The current list reaches the subscriber that joined during the outage...
                assertThat(ids(late.awaitType("alerts"))).containsExactly(latecomersAlert);
                // ...and pushes resume by themselves.
                long second = Stack.insertAlert(tenant, "dev-2", "humidity_high", "OPEN", "Too humid");
                assertThat(ids(early.awaitType("alerts"))).containsExactlyInAnyOrder(first, second);
                Awaitility.await().until(() -> Management.get(SOURCES).statusCode() == 200);

                assertThat(early.everythingBeforePong()).noneMatch(m -> "status".equals(m.path("type").asText()));
                assertThat(late.everythingBeforePong()).noneMatch(m -> "status".equals(m.path("type").asText()));
            }
            assertQuietLog(log, "postgresql");
        }
    }

    /** An outage is logged once when it starts (a warning) and once when it ends, however many polls failed. */
    private static void assertQuietLog(LogCapture log, String source) {
        List<LogCapture.Line> warnings = log.warnings();
        assertThat(warnings).as(log.text()).hasSizeLessThanOrEqualTo(2);
        assertThat(warnings.stream().filter(line -> line.text().startsWith(source + " poll failing"))).hasSize(1);
        assertThat(log.lines().stream().filter(line -> line.text().startsWith(source + " poll recovered")))
                .hasSize(1);
        // Connection errors are where credentials leak if anywhere: the configured InfluxDB password never does.
        String influxPassword = ConfigProvider.getConfig().getValue("pulse.influx.password", String.class);
        assertThat(log.text()).doesNotContain(influxPassword);
    }

    /** The status of one named check in the sources health group. */
    private static String source(String check) {
        List<Map<String, Object>> checks = Management.get(SOURCES).jsonPath().getList("checks");
        return checks.stream().filter(c -> check.equals(c.get("name"))).map(c -> String.valueOf(c.get("status")))
                .findFirst().orElse("MISSING");
    }

    private static double influxFailures() {
        return Scrape.now().value("pulse_poll_failures_total", "source=\"influxdb\"");
    }

    private static String subscribe(String device) {
        return "{\"action\":\"subscribe\",\"type\":\"device\",\"device_id\":\"" + device + "\"}";
    }

    private static Predicate<JsonNode> telemetry(String device) {
        return m -> "telemetry".equals(m.path("type").asText()) && device.equals(m.path("device_id").asText());
    }

    private static Predicate<JsonNode> status(String source, String state) {
        return m -> "status".equals(m.path("type").asText()) && source.equals(m.path("source").asText())
                && state.equals(m.path("status").asText());
    }

    private static List<Long> ids(JsonNode alertsMessage) {
        return alertsMessage.path("alerts").findValues("id").stream().map(JsonNode::asLong).toList();
    }

    private static String point(String tenant, String device, double value, Instant time) {
        return "telemetry,tenant_id=" + tenant + ",device_id=" + device + " value=" + value + " "
                + Stack.nanos(time);
    }
}
