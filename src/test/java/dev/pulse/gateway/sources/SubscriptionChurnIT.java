package dev.pulse.gateway.sources;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.pulse.gateway.support.Frames;
import dev.pulse.gateway.support.PackagedPulse;
import dev.pulse.gateway.support.Scrape;
import dev.pulse.gateway.support.Stack;
import dev.pulse.gateway.support.Tokens;
import dev.pulse.gateway.support.WsClient;

/**
 * Subscribe/unsubscribe churn cannot multiply database reads: 20 connections of one tenant subscribe and unsubscribe
 * devices and alerts as fast as their subscription rate allows (2,000 device and 500 alert subscribes in all). First reads
 * are served from the tenant's latest poll when it is fresher than an interval, and otherwise coalesced: at most one
 * first read per tenant and source per 100 ms window, on top of the one query per poll cycle.
 */
class SubscriptionChurnIT {

    private static final int CONNECTIONS = 20;
    /**
     * 250 subscribe/unsubscribe frames per connection: as fast as the subscription rate allows (its burst, 1,050 with
     * the default device cap, lets a page load subscribe to every device it may watch).
     */
    private static final int DEVICE_PAIRS = 100;
    private static final int ALERT_PAIRS = 25;
    private static final Duration WINDOW = Duration.ofMillis(100);

    @Test
    void churnCostsAtMostOneFirstReadPerTenantAndSourcePerWindow() {
        try (PackagedPulse pulse = PackagedPulse.startPackaged("subscription-churn-it",
                Map.of("PULSE_TELEMETRY_POLL_INTERVAL", "1s", "PULSE_ALERTS_POLL_INTERVAL", "1s"))) {
            String tenant = Tokens.newTenant();
            for (int d = 0; d < 10; d++) {
                Stack.writeInflux("telemetry,tenant_id=" + Stack.tag(tenant) + ",device_id=churn-" + d + " value=" + d
                        + " " + Stack.nanos(Instant.now()));
            }
            Stack.insertAlert(tenant, "churn-1", "HIGH_TEMP", "OPEN", "hot");
            List<WsClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    clients.add(WsClient.connect(pulse.ws("/api/v2/ws", Tokens.valid(tenant))));
                }
                Scrape before = Scrape.of(pulse);
                long started = System.nanoTime();
                for (int pair = 0; pair < Math.max(DEVICE_PAIRS, ALERT_PAIRS); pair++) {
                    for (int i = 0; i < CONNECTIONS; i++) {
                        WsClient client = clients.get(i);
                        // Each connection churns devices of its own, so no other subscriber keeps a watch alive.
                        String device = "churn-" + ((i + pair) % 10) + (i % 2 == 0 ? "" : "-b" + i);
                        if (pair < DEVICE_PAIRS) {
                            client.send(Frames.subscribeDevice(device));
                            client.send(Frames.unsubscribeDevice(device));
                        }
                        if (pair < ALERT_PAIRS) {
                            client.send(Frames.subscribeAlerts());
                            client.send(Frames.unsubscribeAlerts());
                        }
                    }
                }
                // Frames are handled in order: a pong after them means every one was handled, and none was limited.
                for (WsClient client : clients) {
                    assertThat(client.everythingBeforePong())
                            .noneMatch(m -> "rate_limited".equals(m.path("code").asText()));
                }
                Duration churn = Duration.ofNanos(System.nanoTime() - started);
                // A first read flushes at most one window after the last subscribe; two poll cycles later all are in.
                Scrape ended = Scrape.of(pulse);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                    Scrape now = Scrape.of(pulse);
                    return List.of("influxdb", "postgresql").stream().allMatch(source -> now.value(
                            "pulse_poll_cycles_total", "source=\"" + source + "\"") >= 2 + ended.value(
                                    "pulse_poll_cycles_total", "source=\"" + source + "\""));
                });
                Scrape after = Scrape.of(pulse);

                long windows = churn.toMillis() / WINDOW.toMillis() + 2;
                for (String source : List.of("influxdb", "postgresql")) {
                    double queries = after.value("pulse_source_queries_total", "source=\"" + source + "\"")
                            - before.value("pulse_source_queries_total", "source=\"" + source + "\"");
                    double cycles = after.value("pulse_poll_cycles_total", "source=\"" + source + "\"")
                            - before.value("pulse_poll_cycles_total", "source=\"" + source + "\"");
                    double firstReads = queries - cycles;
                    assertThat(firstReads).as("%s first reads in %s of churn (%s queries in %s poll cycles)", source,
                            churn, queries, cycles).isLessThanOrEqualTo(windows);
                    // Without coalescing, every subscribe after an unsubscribe read the source again: 2,000 and 500.
                    assertThat(queries).as(source).isLessThan(100);
                }
            } finally {
                clients.forEach(WsClient::close);
            }
        }
    }
}
